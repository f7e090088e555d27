"""Output heads of the decoder: the paper's HammingClassifier and the softmax baseline.

Both map decoder features (..., d) to per-token logits, compute the training loss against target
token indexes, and turn logits into (index, score) predictions. Only the softmax head has weights
that grow with the vocabulary V: d*V + V. The Hamming head has d*K + K whatever V is; its code
table is a buffer.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import MODELS, TASK_UTILS


@MODELS.register_module()
class SoftmaxClassifier(BaseModule):
    """Linear layer + softmax over the V dictionary entries (MASTER's ``cls``)."""

    def __init__(self, in_channels: int, dictionary: Dictionary, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, dictionary.num_classes)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.fc(feat)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor,
             valid: torch.Tensor) -> dict[str, torch.Tensor]:
        """Mean cross-entropy over the valid target tokens."""
        ce = F.cross_entropy(logits.flatten(0, -2), targets.flatten(), reduction='none')
        valid = valid.flatten().to(ce.dtype)
        return dict(loss_ce=(ce * valid).sum() / valid.sum().clamp(min=1))

    def predict(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        score, index = logits.softmax(dim=-1).max(dim=-1)
        return index, score


@MODELS.register_module()
class HammingClassifier(BaseModule):
    """Hamming classifier: predict the K bits of the target's LSH code, decode to the nearest code.

    Args:
        in_channels: decoder width d.
        dictionary: the mmocr ``Dictionary``; every entry (special tokens included) gets a code.
        code_book: config of the code generator (``LSHCodeBook``); K = ``code_book.code_bits``.
        loss: training loss on the K bit logits (the paper's loss is not published):
            ``'bce'``, bit-wise binary cross-entropy against the target code;
            ``'soft_hamming_ce'``, cross-entropy over the soft Hamming similarities of the
            predicted bit probabilities to all V codes (contrastive; no extra parameters).
        label_smoothing: label smoothing of ``'soft_hamming_ce'``.

    The codes live in the bool buffer ``codes`` (V, K): saved with the model, never trained.
    """

    def __init__(self, in_channels: int, dictionary: Dictionary,
                 code_book: dict | None = None, loss: str = 'bce',
                 label_smoothing: float = 0.0, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss not in ('bce', 'soft_hamming_ce'):
            raise ValueError(f"HammingClassifier.loss must be 'bce' or 'soft_hamming_ce', got "
                             f'{loss!r}')
        self.loss_type = loss
        self.label_smoothing = label_smoothing
        generator = TASK_UTILS.build(code_book or dict(type='LSHCodeBook'))
        self.register_buffer('codes', generator(dictionary.dict))
        self.code_bits = self.codes.shape[1]
        self.fc = nn.Linear(in_channels, self.code_bits)

    @property
    def code_signs(self) -> torch.Tensor:
        """The code table as +-1 floats, shape (V, K)."""
        return self.codes.float() * 2 - 1

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """+-1 codes of token indexes: (...,) -> (..., K)."""
        return self.codes[tokens].float() * 2 - 1

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """Bit logits (..., K); bit j is predicted 1 when logit j > 0."""
        return self.fc(feat)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor,
             valid: torch.Tensor) -> dict[str, torch.Tensor]:
        """Mean over the valid target tokens of the configured loss (see the class docstring)."""
        valid = valid.to(logits.dtype)
        if self.loss_type == 'bce':
            target_bits = self.codes[targets].to(logits.dtype)
            per_token = F.binary_cross_entropy_with_logits(logits, target_bits,
                                                           reduction='none').mean(-1)
            name = 'loss_bits'
        else:
            # soft Hamming similarity sum_j p_j c_j + (1 - p_j)(1 - c_j) = K/2 + (p - 1/2).(2c - 1)
            similarity = (logits.sigmoid() - 0.5) @ self.code_signs.to(logits.dtype).T
            per_token = F.cross_entropy(similarity.flatten(0, -2), targets.flatten(),
                                        reduction='none', label_smoothing=self.label_smoothing)
            per_token = per_token.view(targets.shape)
            name = 'loss_soft_hamming'
        return {name: (per_token * valid).sum() / valid.sum().clamp(min=1)}

    def predict(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Nearest code by Hamming distance, vectorised over all V codes.

        Hard bits b = sign(logits) give the Hamming distance (K - b.c) / 2 to every code c. Ties
        are broken by the soft agreement logits.c / sum|logits|, which lies in [-1, 1] and is
        halved so that it never outweighs one bit of distance (distances step by 1, agreements by
        2). The score is the geometric mean of the per-bit probabilities of the chosen code.
        """
        signs = self.code_signs.to(logits.dtype)  # (V, K)
        hard = torch.where(logits >= 0, 1.0, -1.0).to(logits.dtype)
        tie_break = 0.5 * logits / logits.abs().sum(-1, keepdim=True).clamp(min=1e-6)
        # hard.c = K - 2 * hamming and the tie-break are both linear in c: one (..., V) product
        index = ((hard + tie_break) @ signs.T).argmax(dim=-1)
        chosen = signs[index]
        score = F.logsigmoid(logits * chosen).mean(-1).exp()
        return index, score

    def hamming_distance(self, logits: torch.Tensor) -> torch.Tensor:
        """Hamming distance from the hard bits of ``logits`` to every code, shape (..., V)."""
        hard = torch.where(logits >= 0, 1.0, -1.0).to(logits.dtype)
        return (self.code_bits - hard @ self.code_signs.to(logits.dtype).T) / 2

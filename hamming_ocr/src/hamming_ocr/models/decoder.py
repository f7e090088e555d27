"""MASTER-style transformer decoder with pluggable head/embedding, optional FFN and layer sharing.

With ``classifier=HammingClassifier``, ``embedding=CodeEmbedding``, ``use_ffn=False`` and
``share_layers=True`` it is the paper's simplified decoder; with ``SoftmaxClassifier``,
``LookupEmbedding``, ``use_ffn=True``, ``share_layers=False`` it is mmocr's ``MasterDecoder``
layer for layer (same mmcv ``BaseTransformerLayer``s, same parameter names; tests check that the
two give identical outputs from the same weights).

Inference is greedy with early exit once every sequence has produced ``<EOS>``, and the head only
scores the newest position at each step, for every head alike.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from mmcv.cnn.bricks.transformer import BaseTransformerLayer
from mmengine.model import ModuleList
from mmocr.models.common.dictionary import Dictionary
from mmocr.models.common.modules import PositionalEncoding
from mmocr.models.textrecog.decoders.base import BaseDecoder
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample
from torch import nn


@MODELS.register_module()
class HammingMasterDecoder(BaseDecoder):
    """Decoder of Hamming OCR.

    Args:
        n_layers: number of decoder layer applications N.
        n_head: attention heads.
        d_model: width d; must equal the backbone's output channels.
        d_inner: FFN hidden width (only with ``use_ffn``).
        use_ffn: keep the feed-forward sub-layer (the paper removes it).
        share_layers: apply one layer N times (the paper shares parameters across layers)
            instead of N independent layers.
        attn_drop, ffn_drop, feat_pe_drop: dropout rates as in ``MasterDecoder``.
        feat_size: length of the feature positional table; >= H*W of the backbone output.
        classifier: head config, ``HammingClassifier`` or ``SoftmaxClassifier``.
        embedding: input-token embedding config, ``CodeEmbedding`` or ``LookupEmbedding``.
        early_exit: stop greedy decoding once every sequence has produced ``<EOS>``
            (benchmarks switch it off to time a fixed ``max_seq_len`` steps).
        module_loss, postprocessor, dictionary, max_seq_len, init_cfg: as in ``BaseDecoder``.
    """

    def __init__(self,
                 n_layers: int = 3,
                 n_head: int = 8,
                 d_model: int = 512,
                 d_inner: int = 2048,
                 use_ffn: bool = False,
                 share_layers: bool = True,
                 attn_drop: float = 0.,
                 ffn_drop: float = 0.,
                 feat_pe_drop: float = 0.2,
                 feat_size: int = 6 * 40,
                 classifier: dict | None = None,
                 embedding: dict | None = None,
                 early_exit: bool = True,
                 module_loss: dict | None = None,
                 postprocessor: dict | None = None,
                 dictionary: dict | Dictionary | None = None,
                 max_seq_len: int = 30,
                 init_cfg: dict | Sequence[dict] | None = None) -> None:
        super().__init__(module_loss=module_loss, postprocessor=postprocessor,
                         dictionary=dictionary, init_cfg=init_cfg, max_seq_len=max_seq_len)
        operation_order = ('norm', 'self_attn', 'norm', 'cross_attn')
        if use_ffn:
            operation_order += ('norm', 'ffn')
        layer = BaseTransformerLayer(
            operation_order=operation_order,
            attn_cfgs=dict(type='MultiheadAttention', embed_dims=d_model, num_heads=n_head,
                           attn_drop=attn_drop,
                           dropout_layer=dict(type='Dropout', drop_prob=attn_drop)),
            ffn_cfgs=dict(type='FFN', embed_dims=d_model, feedforward_channels=d_inner,
                          ffn_drop=ffn_drop,
                          dropout_layer=dict(type='Dropout', drop_prob=ffn_drop)),
            norm_cfg=dict(type='LN'),
            batch_first=True)
        self.n_layers = n_layers
        self.early_exit = early_exit
        self.share_layers = share_layers
        self.decoder_layers = ModuleList(
            [copy.deepcopy(layer) for _ in range(1 if share_layers else n_layers)])

        num_classes = self.dictionary.num_classes
        self.classifier = MODELS.build(
            dict(classifier or dict(type='HammingClassifier'), in_channels=d_model,
                 dictionary=self.dictionary))
        self.embedding = MODELS.build(
            dict(embedding or dict(type='CodeEmbedding'), d_model=d_model,
                 classifier=self.classifier, num_classes=num_classes))

        self.SOS = self.dictionary.start_idx
        self.EOS = self.dictionary.end_idx
        self.PAD = self.dictionary.padding_idx
        self.feat_size = feat_size
        self.n_head = n_head
        self.positional_encoding = PositionalEncoding(d_hid=d_model, n_position=max_seq_len + 1)
        self.feat_positional_encoding = PositionalEncoding(
            d_hid=d_model, n_position=feat_size, dropout=feat_pe_drop)
        self.norm = nn.LayerNorm(d_model)

    def layers(self) -> list[nn.Module]:
        """The N layer applications in order (the same module N times when shared)."""
        return [self.decoder_layers[0 if self.share_layers else i] for i in range(self.n_layers)]

    def make_target_mask(self, tgt: torch.Tensor) -> torch.Tensor:
        """Additive causal + padding mask (N * n_head, T, T), as in ``MasterDecoder``."""
        pad_mask = (tgt != self.PAD).unsqueeze(1).unsqueeze(3)
        length = tgt.size(1)
        causal = torch.tril(torch.ones((length, length), dtype=torch.bool, device=tgt.device))
        allowed = pad_mask & causal
        mask = torch.zeros(allowed.shape, device=tgt.device).masked_fill_(~allowed, -1e9)
        return mask.repeat(1, self.n_head, 1, 1).view(-1, length, length)

    def _flatten_feat(self, feat: torch.Tensor) -> torch.Tensor:
        if feat.dim() > 3:
            b, c, h, w = feat.shape
            if h * w > self.feat_size:
                raise ValueError(f'feature map {h}x{w} has more positions than feat_size='
                                 f'{self.feat_size}; raise decoder.feat_size')
            feat = feat.view(b, c, h * w).permute(0, 2, 1)
        return self.feat_positional_encoding(feat)

    def decode(self, tokens: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        """Decoder features (N, T, d) for input tokens (N, T) over flattened features."""
        x = self.positional_encoding(self.embedding(tokens, self.classifier))
        attn_masks = [self.make_target_mask(tokens), None]
        for layer in self.layers():
            x = layer(query=x, key=feat, value=feat, attn_masks=attn_masks)
        return self.norm(x)

    def forward_train(self, feat: torch.Tensor | None = None, out_enc: torch.Tensor | None = None,
                      data_samples: Sequence[TextRecogDataSample] | None = None
                      ) -> torch.Tensor:
        """Teacher-forced head logits (N, T, C) (C = V for softmax, K for Hamming)."""
        feat = self._flatten_feat(feat)
        tokens = torch.stack([s.gt_text.padded_indexes for s in data_samples]).to(feat.device)
        return self.classifier(self.decode(tokens, feat))

    def forward_test(self, feat: torch.Tensor | None = None, out_enc: torch.Tensor | None = None,
                     data_samples: Sequence[TextRecogDataSample] | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy decoding: token indexes (N, T') and their scores (N, T'), T' <= max_seq_len."""
        feat = self._flatten_feat(feat)
        batch = feat.shape[0]
        tokens = torch.full((batch, 1), self.SOS, device=feat.device, dtype=torch.long)
        finished = torch.zeros(batch, dtype=torch.bool, device=feat.device)
        indexes, scores = [], []
        for _ in range(self.max_seq_len):
            logits = self.classifier(self.decode(tokens, feat)[:, -1])
            index, score = self.classifier.predict(logits)
            indexes.append(index)
            scores.append(score)
            tokens = torch.cat([tokens, index.unsqueeze(1)], dim=1)
            finished |= index == self.EOS
            if self.early_exit and finished.all():
                break
        return torch.stack(indexes, dim=1), torch.stack(scores, dim=1)

    def loss(self, feat: torch.Tensor | None = None, out_enc: torch.Tensor | None = None,
             data_samples: Sequence[TextRecogDataSample] | None = None) -> dict:
        logits = self(feat, out_enc, data_samples)
        return self.module_loss(logits, data_samples, self.classifier)

"""Input-token embeddings of the decoder.

``LookupEmbedding`` is MASTER's table (V x d parameters, scaled by sqrt(d) as in mmocr's
``Embeddings``). ``CodeEmbedding`` is the paper's replacement: the previous token's fixed LSH code
(+-1, K bits) projected by one linear layer, K*d + d parameters whatever V is.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmocr.registry import MODELS

from .classifiers import HammingClassifier


@MODELS.register_module()
class LookupEmbedding(BaseModule):
    """Learned V x d lookup table (mmocr ``MasterDecoder``'s embedding)."""

    def __init__(self, d_model: int, classifier: nn.Module, num_classes: int,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.lut = nn.Embedding(num_classes, d_model)
        self.d_model = d_model

    def forward(self, tokens: torch.Tensor, classifier: nn.Module) -> torch.Tensor:
        return self.lut(tokens) * math.sqrt(self.d_model)


@MODELS.register_module()
class CodeEmbedding(BaseModule):
    """Embed a token through its LSH code: Linear(K -> d) applied to the +-1 code."""

    def __init__(self, d_model: int, classifier: nn.Module, num_classes: int,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(classifier, HammingClassifier):
            raise TypeError('CodeEmbedding embeds the LSH codes of a HammingClassifier, got '
                            f'{type(classifier).__name__}')
        self.proj = nn.Linear(classifier.code_bits, d_model)

    def forward(self, tokens: torch.Tensor, classifier: HammingClassifier) -> torch.Tensor:
        return self.proj(classifier.encode(tokens))

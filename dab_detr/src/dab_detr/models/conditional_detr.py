"""mmdet's Conditional DETR at any transformer width (the baseline of the quick configs).

mmdet 3.1's ``ConditionalDetrTransformerDecoder`` calls ``coordinate_to_encoding`` with its
default 128 features per coordinate, so the sine embedding is 256-wide and only D = 256 works
(the same hard-coded width the official DAB-DETR fixed in its PR #65). The CPU quick configs
compare DETR, Conditional DETR and DAB-DETR at D = 128; this decoder sizes the embedding to
``embed_dims // 2`` features per coordinate and is otherwise mmdet's.
"""

from __future__ import annotations

import torch
from mmdet.models.detectors import ConditionalDETR
from mmdet.models.layers import (
    ConditionalDetrTransformerDecoder,
    DetrTransformerEncoder,
    SinePositionalEncoding,
)
from mmdet.models.layers.transformer import coordinate_to_encoding
from mmdet.registry import MODELS
from torch import Tensor, nn


class AnyWidthConditionalDetrTransformerDecoder(ConditionalDetrTransformerDecoder):

    def forward(self, query: Tensor, key: Tensor = None, query_pos: Tensor = None,
                key_pos: Tensor = None, key_padding_mask: Tensor = None) -> tuple[Tensor, Tensor]:
        reference_xy = self.ref_point_head(query_pos).sigmoid()[..., :2]
        intermediate = []
        for layer_id, layer in enumerate(self.layers):
            pos_transformation = 1 if layer_id == 0 else self.query_scale(query)
            ref_sine_embed = coordinate_to_encoding(reference_xy, num_feats=self.embed_dims // 2)
            query = layer(query, key=key, query_pos=query_pos, key_pos=key_pos,
                          key_padding_mask=key_padding_mask,
                          ref_sine_embed=ref_sine_embed * pos_transformation,
                          is_first=(layer_id == 0))
            if self.return_intermediate:
                intermediate.append(self.post_norm(query))
        if self.return_intermediate:
            return torch.stack(intermediate), reference_xy
        return self.post_norm(query).unsqueeze(0), reference_xy


@MODELS.register_module()
class AnyWidthConditionalDETR(ConditionalDETR):
    """``ConditionalDETR`` whose decoder works for any ``embed_dims``."""

    def _init_layers(self) -> None:
        self.positional_encoding = SinePositionalEncoding(**self.positional_encoding)
        self.encoder = DetrTransformerEncoder(**self.encoder)
        self.decoder = AnyWidthConditionalDetrTransformerDecoder(**self.decoder)
        self.embed_dims = self.encoder.embed_dims
        self.query_embedding = nn.Embedding(self.num_queries, self.embed_dims)
        if self.positional_encoding.num_feats * 2 != self.embed_dims:
            raise ValueError('positional_encoding.num_feats must be embed_dims / 2')

"""DAB-Deformable-DETR (paper Sec. 5.3, Table 5) on mmdet's Deformable DETR.

The change to Deformable DETR (with box refinement) is the one the paper describes as "no more
than 10 lines": queries carry a learned 4-D anchor box instead of a 2-D reference point predicted
from a positional embedding, and each decoder layer derives its positional query from the
current anchor, P_q = query_scale(C_q) * MLP(PE(A_q)) with query_scale = 1 in the first layer
(official ``models/dab_deformable_detr/deformable_transformer.py``, ``use_dab=True``). No w/h
modulation: deformable attention already samples around the box.
"""

from __future__ import annotations

import torch
from mmcv.cnn.bricks.transformer import MultiScaleDeformableAttention
from mmdet.models.detectors import DeformableDETR
from mmdet.models.detectors.base_detr import DetectionTransformer
from mmdet.models.layers import (
    MLP,
    DeformableDetrTransformerDecoder,
    DeformableDetrTransformerEncoder,
    SinePositionalEncoding,
)
from mmdet.models.layers.transformer import coordinate_to_encoding, inverse_sigmoid
from mmdet.registry import MODELS
from torch import Tensor, nn


class DABDeformableDetrTransformerDecoder(DeformableDetrTransformerDecoder):
    """Deformable decoder whose positional queries come from the 4-D anchors."""

    def _init_layers(self) -> None:
        super()._init_layers()
        # PE(x, y, w, h) has 4 * embed_dims/2 channels; official ref_point_head / query_scale
        self.ref_point_head = MLP(2 * self.embed_dims, self.embed_dims, self.embed_dims, 2)
        self.query_scale = MLP(self.embed_dims, self.embed_dims, self.embed_dims, 2)

    def forward(self, query: Tensor, value: Tensor, key_padding_mask: Tensor,
                reference_points: Tensor, spatial_shapes: Tensor, level_start_index: Tensor,
                valid_ratios: Tensor, reg_branches: nn.ModuleList, query_pos: None = None,
                **kwargs) -> tuple[Tensor, Tensor]:
        if query_pos is not None:
            raise ValueError('DAB-Deformable-DETR derives query_pos from the anchors')
        output = query
        intermediate, intermediate_reference_points = [], []
        for layer_id, layer in enumerate(self.layers):
            # anchors relative to each level's valid (unpadded) area: (bs, nq, levels, 4)
            reference_points_input = \
                reference_points[:, :, None] * torch.cat([valid_ratios, valid_ratios], -1)[:, None]
            ref_sine_embed = coordinate_to_encoding(reference_points_input[:, :, 0, :],
                                                    num_feats=self.embed_dims // 2)
            query_pos = self.ref_point_head(ref_sine_embed)
            if layer_id != 0:
                query_pos = query_pos * self.query_scale(output)
            output = layer(output, query_pos=query_pos, value=value,
                           key_padding_mask=key_padding_mask, spatial_shapes=spatial_shapes,
                           level_start_index=level_start_index, valid_ratios=valid_ratios,
                           reference_points=reference_points_input, **kwargs)
            new_reference_points = reg_branches[layer_id](output) + inverse_sigmoid(
                reference_points)
            reference_points = new_reference_points.sigmoid().detach()
            intermediate.append(output)
            intermediate_reference_points.append(reference_points)
        return torch.stack(intermediate), torch.stack(intermediate_reference_points)


@MODELS.register_module()
class DABDeformableDETR(DeformableDETR):
    """Deformable DETR with box refinement whose queries are dynamic anchor boxes.

    Only the single-stage, box-refine form exists in the paper's Table 5, so
    ``with_box_refine`` must be True and ``as_two_stage`` False.
    """

    def __init__(self, *args, with_box_refine: bool = True, as_two_stage: bool = False,
                 **kwargs) -> None:
        if not with_box_refine or as_two_stage:
            raise ValueError('DABDeformableDETR is the box-refine, single-stage model: '
                             'with_box_refine=True, as_two_stage=False')
        super().__init__(*args, with_box_refine=True, as_two_stage=False, **kwargs)

    def _init_layers(self) -> None:
        self.positional_encoding = SinePositionalEncoding(**self.positional_encoding)
        self.encoder = DeformableDetrTransformerEncoder(**self.encoder)
        self.decoder = DABDeformableDetrTransformerDecoder(**self.decoder)
        self.embed_dims = self.encoder.embed_dims
        self.query_embedding = nn.Embedding(self.num_queries, self.embed_dims)  # content C_q
        self.anchor_embedding = nn.Embedding(self.num_queries, 4)  # A_q before sigmoid
        if self.positional_encoding.num_feats * 2 != self.embed_dims:
            raise ValueError('positional_encoding.num_feats must be embed_dims / 2')
        self.level_embed = nn.Parameter(torch.Tensor(self.num_feature_levels, self.embed_dims))

    def init_weights(self) -> None:
        # DeformableDETR.init_weights also initialises reference_points_fc, which DAB replaces
        # with anchors; otherwise identical.
        DetectionTransformer.init_weights(self)
        for coder in self.encoder, self.decoder:
            for p in coder.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        for m in self.modules():
            if isinstance(m, MultiScaleDeformableAttention):
                m.init_weights()
        nn.init.normal_(self.level_embed)

    def pre_decoder(self, memory: Tensor, memory_mask: Tensor,
                    spatial_shapes: Tensor) -> tuple[dict, dict]:
        batch_size = memory.size(0)
        query = self.query_embedding.weight.unsqueeze(0).expand(batch_size, -1, -1)
        reference_points = self.anchor_embedding.weight.sigmoid().unsqueeze(0).expand(
            batch_size, -1, -1)
        decoder_inputs_dict = dict(query=query, query_pos=None, memory=memory,
                                   reference_points=reference_points)
        head_inputs_dict = dict(enc_outputs_class=None, enc_outputs_coord=None) \
            if self.training else dict()
        return decoder_inputs_dict, head_inputs_dict

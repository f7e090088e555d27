"""DAB-DETR with the paper's ablation switches as config keys.

mmdet 3.1's ``DABDETR`` implements the full model (4-D anchors, layer-wise anchor update,
w/h-modulated cross-attention, key PE temperature 20) and 3 pattern embeddings. What it cannot
express, and this subclass adds:

* ``iter_update=False`` -- "without anchor update" (Table 3). mmdet always refines the anchors
  with ``bbox_head.fc_reg``; here every decoder layer keeps the learned initial anchors and the
  head still predicts offsets relative to them, as in the official ``iter_update=False`` path.
* ``random_refpoints_xy=True`` -- anchor x, y drawn from U(0, 1) once and *really* frozen
  (Table 8, the official "fixxy" models). Upstream (official code and mmdet #11692) sets
  ``weight.data[:, :2].requires_grad = False`` on a temporary slice, which leaves x, y
  trainable. Here x, y live in a buffer, so neither the gradient, nor AdamW's decoupled weight
  decay, nor any optimizer state can move them; w, h stay an ``nn.Embedding`` with the default
  N(0, 1) init of the official code.

The other switches already exist in mmdet's modules and are set from the configs:
``decoder.with_modulated_hw_attn`` (w/h modulation, Eq. 6), ``decoder.query_dim`` (2-D points vs
4-D boxes) and ``positional_encoding.temperature`` (T of Eq. 8 on the key PE; 20 in the paper).
"""

from __future__ import annotations

import torch
from mmdet.models.detectors import DABDETR
from mmdet.models.detectors.detr import DETR
from mmdet.models.layers.transformer import inverse_sigmoid
from mmdet.registry import MODELS
from torch import Tensor, nn

# official `util.misc.inverse_sigmoid` eps, used when drawing the frozen x, y
OFFICIAL_INVERSE_SIGMOID_EPS = 1e-3


def keep_anchors(hidden_state: Tensor) -> Tensor:
    """Zero offsets for the decoder's anchor update: sigmoid(logit(a) + 0) == a."""
    return hidden_state.new_zeros(*hidden_state.shape[:-1], 4)


@MODELS.register_module()
class SwitchableDABDETR(DABDETR):
    """DAB-DETR (arXiv 2201.12329) whose components can be switched off one at a time.

    Args:
        iter_update (bool): update the anchors layer by layer, A^{l+1} = sigma(sigma^-1(A^l) +
            delta) (Sec. 4.2). ``False`` is the "without anchor update" ablation.
        random_refpoints_xy (bool): draw anchor x, y at random and keep them fixed (Table 8).
        with_random_refpoints (bool): mmdet's name for ``random_refpoints_xy``; either enables
            the (really frozen) behaviour.
        num_patterns (int): pattern embeddings (Anchor DETR); 3 for the starred paper rows.
    """

    def __init__(self, *args, iter_update: bool = True, random_refpoints_xy: bool = False,
                 with_random_refpoints: bool = False, **kwargs) -> None:
        self.iter_update = iter_update
        self.random_refpoints_xy = random_refpoints_xy or with_random_refpoints
        super().__init__(*args, with_random_refpoints=False, **kwargs)

    def _init_layers(self) -> None:
        super()._init_layers()
        if self.random_refpoints_xy:
            if self.query_dim != 4:
                raise ValueError('random_refpoints_xy freezes x, y of 4-D anchors; it needs '
                                 f'decoder.query_dim=4, got {self.query_dim}')
            self.query_embedding = nn.Embedding(self.num_queries, 2)  # w, h before sigmoid
            self.register_buffer('query_xy', torch.zeros(self.num_queries, 2))

    def init_weights(self) -> None:
        # Skip DABDETR.init_weights: its random-refpoint branch is the no-op freeze.
        DETR.init_weights(self)
        if self.random_refpoints_xy:
            xy = torch.rand(self.num_queries, 2, device=self.query_xy.device)
            self.query_xy.copy_(inverse_sigmoid(xy, eps=OFFICIAL_INVERSE_SIGMOID_EPS))

    @property
    def anchor_logits(self) -> Tensor:
        """The learned initial anchors before sigmoid, (num_queries, query_dim)."""
        if self.random_refpoints_xy:
            return torch.cat([self.query_xy, self.query_embedding.weight], dim=1)
        return self.query_embedding.weight

    def pre_decoder(self, memory: Tensor) -> tuple[dict, dict]:
        batch_size = memory.size(0)
        query_pos = self.anchor_logits.unsqueeze(0).repeat(batch_size, 1, 1)
        if self.num_patterns == 0:
            query = query_pos.new_zeros(batch_size, self.num_queries, self.embed_dims)
        else:
            # pattern-major order, as the official code: query k*num_queries + i is
            # pattern k paired with anchor i
            query = self.patterns.weight[:, None, None, :] \
                .repeat(1, self.num_queries, batch_size, 1) \
                .view(-1, batch_size, self.embed_dims).permute(1, 0, 2)
            query_pos = query_pos.repeat(1, self.num_patterns, 1)
        return dict(query_pos=query_pos, query=query, memory=memory), dict()

    def forward_decoder(self, query: Tensor, query_pos: Tensor, memory: Tensor,
                        memory_mask: Tensor, memory_pos: Tensor) -> dict:
        hidden_states, references = self.decoder(
            query=query,
            key=memory,
            query_pos=query_pos,
            key_pos=memory_pos,
            key_padding_mask=memory_mask,
            reg_branches=self.bbox_head.fc_reg if self.iter_update else keep_anchors)
        return dict(hidden_states=hidden_states, references=references)

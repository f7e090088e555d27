"""Behaviour of DAB-DETR and its ablation switches (paper Sec. 4, Tables 3 and 8)."""

from __future__ import annotations

import pytest
import torch
from conftest import QUICK_DAB, build_model, fake_batch
from mmdet.registry import MODELS
from mmengine.config import Config


def decoder_outputs(model, image_size=64):
    inputs, samples = fake_batch(model, image_size=image_size)
    feats = model.extract_feat(inputs)
    return model.forward_transformer(feats, samples)


def test_empty_ground_truth_gives_positive_cls_and_zero_box_losses():
    torch.manual_seed(0)
    model = build_model(QUICK_DAB)
    inputs, samples = fake_batch(model, boxes=(), labels=())
    losses = model.loss(inputs, samples)
    cls_losses = [v for k, v in losses.items() if k.endswith("loss_cls")]
    box_losses = [v for k, v in losses.items() if k.endswith(("loss_bbox", "loss_iou"))]
    assert cls_losses and all(v.item() > 0 for v in cls_losses)
    assert box_losses and all(v.item() == 0 for v in box_losses)

    inputs, samples = fake_batch(model)  # one object: every loss is positive
    losses = model.loss(inputs, samples)
    assert all(v.item() > 0 for k, v in losses.items() if "loss" in k)


def test_anchor_update_refines_anchors_layer_by_layer_and_can_be_switched_off():
    torch.manual_seed(0)
    model = build_model(QUICK_DAB)
    # a non-zero box head so that the update actually moves the anchors
    torch.nn.init.normal_(model.bbox_head.fc_reg.layers[-1].weight, std=0.1)
    refs = decoder_outputs(model)["references"]  # (layers, bs, nq, 4)
    initial = model.query_embedding.weight.sigmoid()
    assert torch.allclose(refs[0, 0], initial, atol=1e-6)
    assert not torch.allclose(refs[1], refs[0], atol=1e-4)

    model.iter_update = False  # Table 3 "without anchor update"
    refs = decoder_outputs(model)["references"]
    for layer_refs in refs:
        assert torch.allclose(layer_refs[0], initial, atol=1e-5)


def test_wh_modulation_and_2d_points_switches():
    with_mod = build_model(QUICK_DAB)
    assert hasattr(with_mod.decoder, "ref_anchor_head")
    no_mod = build_model(QUICK_DAB, {"decoder.with_modulated_hw_attn": False})
    assert not hasattr(no_mod.decoder, "ref_anchor_head")
    points = build_model(QUICK_DAB, {"decoder.query_dim": 2,
                                     "decoder.with_modulated_hw_attn": False})
    assert points.query_embedding.weight.shape[1] == 2
    assert decoder_outputs(points)["references"].shape[-1] == 2
    # the positional query of a 2-D point sees only PE(x, y): D input channels, not 2D
    assert points.decoder.ref_point_head.layers[0].in_features == points.embed_dims


def test_modulation_scales_the_positional_query_by_reference_over_anchor_size():
    """Eq. 6: the x half of the cross-attention PE is scaled by w_ref / w_q (y half: h)."""
    torch.manual_seed(0)
    model = build_model(QUICK_DAB)
    captured = []
    layer = model.decoder.layers[0]
    layer.register_forward_pre_hook(
        lambda mod, args, kwargs: captured.append(kwargs["ref_sine_embed"]), with_kwargs=True)
    decoder_outputs(model)
    modulated = captured[-1][0]
    model.decoder.with_modulated_hw_attn = False
    decoder_outputs(model)
    plain = captured[-1][0]
    anchors = model.query_embedding.weight.sigmoid()
    zero_query = torch.zeros(1, model.embed_dims)
    ref_hw = model.decoder.ref_anchor_head(zero_query).sigmoid()[0]
    half = model.embed_dims // 2
    expected_x = plain[:, half:] * (ref_hw[0] / anchors[:, 2]).unsqueeze(-1)
    expected_y = plain[:, :half] * (ref_hw[1] / anchors[:, 3]).unsqueeze(-1)
    assert torch.allclose(modulated[:, half:], expected_x, atol=1e-5)
    assert torch.allclose(modulated[:, :half], expected_y, atol=1e-5)


def test_temperature_changes_the_key_positional_encoding():
    t20 = build_model(QUICK_DAB)
    t10000 = build_model(QUICK_DAB, {"positional_encoding.temperature": 10000})
    mask = torch.zeros(1, 8, 8, dtype=torch.bool)
    pe20, pe10000 = t20.positional_encoding(mask), t10000.positional_encoding(mask)
    # the first channel pair (frequency T^0) is identical, higher ones are faster at T = 20
    assert torch.allclose(pe20[:, :2], pe10000[:, :2])
    assert not torch.allclose(pe20, pe10000)


def test_pattern_embeddings_multiply_queries_pattern_major():
    torch.manual_seed(0)
    model = build_model(QUICK_DAB, {"num_patterns": 3})
    out = decoder_outputs(model)
    nq = model.num_queries
    assert out["hidden_states"].shape[2] == 3 * nq
    refs = out["references"][0, 0]
    for k in range(3):  # query k * nq + i is pattern k with anchor i
        assert torch.allclose(refs[k * nq:(k + 1) * nq], model.query_embedding.weight.sigmoid())


def test_dc5_backbone_keeps_stride_16():
    cfg = Config.fromfile(str(QUICK_DAB.parents[1] / "dab-detr_r50-dc5_8xb2-50e_coco.py"))
    cfg.model.backbone.init_cfg = None
    backbone = MODELS.build(cfg.model.backbone)
    plain_cfg = dict(cfg.model.backbone, strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1))
    plain = MODELS.build(plain_cfg)
    image = torch.rand(1, 3, 64, 64)
    assert backbone(image)[-1].shape[-1] == 64 // 16
    assert plain(image)[-1].shape[-1] == 64 // 32


def _one_adamw_step(model):
    # large lr and weight decay so that anything trainable visibly moves
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=1e-2, weight_decay=1e-1)
    inputs, samples = fake_batch(model)
    losses = model.loss(inputs, samples)
    sum(v for k, v in losses.items() if "loss" in k).backward()
    optimizer.step()


def test_random_refpoints_xy_really_freezes_x_and_y():
    torch.manual_seed(0)
    model = build_model(QUICK_DAB, {"random_refpoints_xy": True})
    before = model.anchor_logits.detach().clone()
    assert ((before[:, :2].sigmoid() > 0) & (before[:, :2].sigmoid() < 1)).all()
    _one_adamw_step(model)
    after = model.anchor_logits.detach()
    assert torch.equal(after[:, :2], before[:, :2]), "x, y moved"
    assert not torch.allclose(after[:, 2:], before[:, 2:]), "w, h must still train"
    assert "query_xy" in model.state_dict()  # saved with checkpoints, so resume keeps them


def test_upstream_freeze_is_a_no_op():
    """Documents the bug we fix (mmdet #11692, official DABDETR.py): x, y still move."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(QUICK_DAB))
    cfg.model.type = "DABDETR"
    for key in ("iter_update", "random_refpoints_xy"):
        cfg.model.pop(key)
    cfg.model.with_random_refpoints = True
    model = MODELS.build(cfg.model)
    model.init_weights()
    before = model.query_embedding.weight.detach().clone()
    _one_adamw_step(model)
    assert not torch.allclose(model.query_embedding.weight[:, :2], before[:, :2])


def test_random_refpoints_need_4d_anchors():
    with pytest.raises(ValueError, match="query_dim=4"):
        build_model(QUICK_DAB, {"random_refpoints_xy": True, "decoder.query_dim": 2,
                                "decoder.with_modulated_hw_attn": False})

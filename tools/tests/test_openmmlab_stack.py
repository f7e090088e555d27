"""Walking-skeleton steps on the OpenMMLab stack built from source (mmcv ops, mmdet, mmocr).

Models come from the libraries' own configs through package scope (`mmdet::`, `mmocr::`), which
also proves setuptools still provides the pkg_resources that mmengine resolves scopes with.
Backbones are built with random init; nothing is downloaded.
"""

from __future__ import annotations

import pytest
import torch

mmengine = pytest.importorskip("mmengine")


def test_version_asserts_pass_together():
    import mmcv
    import mmdet
    import mmocr

    assert (mmcv.__version__, mmdet.__version__, mmocr.__version__) == ("2.0.1", "3.1.0", "1.0.1")


def test_mmcv_compiled_ops_run_on_cpu():
    from mmcv.ops import DeformConv2d, nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2] and dets.shape == (2, 5)

    conv = DeformConv2d(4, 6, kernel_size=3, padding=1)
    x = torch.randn(1, 4, 8, 8, requires_grad=True)
    offset = torch.zeros(1, 2 * 3 * 3, 8, 8, requires_grad=True)
    out = conv(x, offset)
    assert out.shape == (1, 6, 8, 8)
    out.sum().backward()
    assert x.grad is not None and offset.grad is not None
    # With zero offsets a deformable conv is an ordinary conv with the same weights.
    reference = torch.nn.functional.conv2d(x, conv.weight, padding=1)
    assert torch.allclose(out, reference, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA ops need a GPU (none on CPU CI)")
def test_mmcv_ops_match_on_cuda():
    from mmcv.ops import nms

    boxes = torch.rand(200, 2) * 100
    boxes = torch.cat([boxes, boxes + torch.rand(200, 2) * 30 + 1], dim=1)
    scores = torch.rand(200)
    _, keep_cpu = nms(boxes, scores, 0.5)
    _, keep_gpu = nms(boxes.cuda(), scores.cuda(), 0.5)
    assert keep_gpu.cpu().tolist() == keep_cpu.tolist()


def build_from_scope(config: str) -> torch.nn.Module:
    from mmengine.hub import get_config
    from mmengine.registry import MODELS, init_default_scope

    cfg = get_config(config)  # resolves the `mmdet::` / `mmocr::` package scope
    init_default_scope(cfg.default_scope)
    return MODELS.build(cfg.model)


def detection_sample(size: int = 96):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    sample = DetDataSample()
    sample.set_metainfo({"img_shape": (size, size), "ori_shape": (size, size),
                         "pad_shape": (size, size), "scale_factor": (1.0, 1.0),
                         "batch_input_shape": (size, size)})
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[10.0, 12.0, 50.0, 70.0]]),
                                       labels=torch.tensor([3]))
    return sample


@pytest.mark.parametrize("config", [
    "mmdet::dab_detr/dab-detr_r50_8xb2-50e_coco.py",
    "mmdet::gfl/gfl_r50_fpn_1x_coco.py",
])
def test_mmdet_detector_loss_backward_predict(config):
    torch.manual_seed(0)
    model = build_from_scope(config)
    model.train()
    inputs = torch.randn(1, 3, 96, 96)
    losses = model.loss(inputs, [detection_sample()])
    total, _ = model.parse_losses(losses)  # sums per-level lists the way the Runner does
    assert torch.isfinite(total) and total > 0
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert sum(g is not None and bool(g.abs().sum() > 0) for g in grads) > len(grads) // 2

    model.eval()
    with torch.no_grad():
        results = model.predict(inputs, [detection_sample()])
    assert results[0].pred_instances.bboxes.shape[-1] == 4


def test_mmocr_master_recogniser_loss():
    from mmengine.structures import LabelData
    from mmocr.structures import TextRecogDataSample

    torch.manual_seed(0)
    model = build_from_scope("mmocr::textrecog/master/master_resnet31_12e_st_mj_sa.py")
    model.train()
    sample = TextRecogDataSample()
    sample.set_metainfo({"img_shape": (48, 160), "valid_ratio": 1.0})
    sample.gt_text = LabelData(item="hello")
    losses = model.loss(torch.randn(1, 3, 48, 160), [sample])
    assert torch.isfinite(losses["loss_ce"]) and losses["loss_ce"] > 0
    losses["loss_ce"].backward()

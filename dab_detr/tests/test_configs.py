"""Every config loads; every model config builds and trains one step on a tiny image."""

from __future__ import annotations

import pytest
import torch
from conftest import ROOT, build_model, fake_batch
from mmengine.config import Config

CONFIGS = sorted(p for p in (ROOT / "configs").rglob("*.py") if "_base_" not in p.parts)
IDS = [str(p.relative_to(ROOT / "configs")) for p in CONFIGS]


def test_there_is_a_config_per_paper_row():
    names = {p.name for p in CONFIGS}
    for backbone in ("r50", "r50-dc5", "r101", "r101-dc5"):
        for algo in ("dab-detr", "dab-detr-3pat"):
            assert f"{algo}_{backbone}_8xb2-50e_coco.py" in names
    assert "dab-deformable-detr_r50_8xb2-50e_coco.py" in names
    for ablation in ("noupdate", "nowhmod", "2dpoint", "t10000"):
        assert f"dab-detr-3pat-{ablation}_r50-dc5_8xb2-50e_coco.py" in names


@pytest.mark.parametrize("path", CONFIGS, ids=IDS)
def test_config_loads_with_run_card(path):
    cfg = Config.fromfile(str(path))
    assert cfg.model.type in {"SwitchableDABDETR", "DABDeformableDETR", "DETR",
                              "AnyWidthConditionalDETR"}
    assert path.read_text().startswith("# Run card"), "config must open with its run card"
    if "quick" not in path.parts:
        assert "custom_imports" in cfg and cfg.model.backbone.depth in (50, 101)


@pytest.mark.parametrize("path", CONFIGS, ids=IDS)
def test_model_trains_one_step(path):
    torch.manual_seed(0)
    model = build_model(path, {"backbone.init_cfg": None})  # nothing may be downloaded
    model.train()
    inputs, samples = fake_batch(model, image_size=64)
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if "loss" in k)
    assert torch.isfinite(total)
    total.backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"parameters without gradient: {missing[:5]}"

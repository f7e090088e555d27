"""Every config loads, builds its model, and the paper recipe resolves to the official numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import yaml
from conftest import FOLDER

from lipsformer.engine.config import ConfigError, load_config
from lipsformer.engine.trainer import peak_lr

CONFIGS = sorted(p for p in (FOLDER / "configs").rglob("*.yaml") if "_base_" not in p.parts)


def test_there_are_paper_and_quick_configs():
    names = {p.name for p in CONFIGS}
    assert {
        "lipsformer_swin_tiny_8xb128-300e_in1k.yaml",
        "lipsformer_cswin_tiny_8xb128-300e_in1k.yaml",
        "lipsformer_cswin_tiny_8xb128-100e_in1k.yaml",
    } <= names
    assert any(p.parent.name == "quick" for p in CONFIGS)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads_and_builds_its_model(path: Path):
    cfg = load_config(path)
    assert path.read_text().startswith("# Run card"), "each config starts with a run card"
    assert cfg.schedule.warmup_epochs == 0  # every LipsFormer config trains without warmup
    model = timm.create_model(
        cfg.model.name, num_classes=10, img_size=cfg.data.img_size, **cfg.model.kwargs
    )
    assert model.num_classes == 10


def test_paper_recipe_matches_the_official_code():
    cfg = load_config(FOLDER / "configs" / "lipsformer_swin_tiny_8xb128-300e_in1k.yaml")
    assert cfg.schedule.epochs == 300 and cfg.optim.betas == (0.9, 0.98)
    assert (cfg.optim.weight_decay, cfg.optim.weight_decay_1d, cfg.optim.clip_grad) == (
        0.05,
        5e-4,
        5.0,
    )
    assert cfg.model.kwargs["drop_path_rate"] == 0.2
    assert peak_lr(cfg, world_size=8) == pytest.approx((1e-3, 1e-5))  # 5e-4 * 1024 / 512
    cfg.data.batch_size = 32
    assert peak_lr(cfg, world_size=8)[0] == pytest.approx(2.5e-4)  # the current README's 8 x 32
    cswin_100 = load_config(FOLDER / "configs" / "lipsformer_cswin_tiny_8xb128-100e_in1k.yaml")
    assert cswin_100.schedule.epochs == 100 and cswin_100.model.name == "lipsformer_cswin_tiny"


def test_unknown_keys_and_bad_values_are_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"optim": {"learning_rate": 1e-3}}))
    with pytest.raises(ConfigError, match=r"optim\.learning_rate"):
        load_config(bad)
    bad.write_text(yaml.safe_dump({"schedule": {"epochs": "many"}}))
    with pytest.raises(ConfigError, match="schedule.epochs"):
        load_config(bad)
    with pytest.raises(ConfigError, match="unknown config key"):
        load_config(None, ["nonsense=1"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["optim.lr"])


def test_overrides_and_inheritance():
    cfg = load_config(
        FOLDER / "configs" / "lipsformer_cswin_tiny_8xb128-100e_in1k.yaml",
        ["optim.lr=3e-4", "data.scale=[0.5, 1.0]", "model.kwargs.tau=10"],
    )
    assert cfg.optim.lr == 3e-4 and cfg.data.scale == (0.5, 1.0)
    assert cfg.model.kwargs == {"drop_path_rate": 0.2, "tau": 10}
    assert cfg.work_dir == "work_dirs/lipsformer_cswin_tiny_8xb128-100e_in1k"


def test_exponent_floats_without_a_dot_are_floats_in_untyped_kwargs(tmp_path):
    # YAML 1.1 reads `1e-6` as a string; model kwargs are not coerced by a dataclass field type
    cfg = load_config(None, ["model.kwargs.qk_eps=1e-06", "model.kwargs.nu=2E+0"])
    assert cfg.model.kwargs["qk_eps"] == 1e-6 and isinstance(cfg.model.kwargs["qk_eps"], float)
    assert cfg.model.kwargs["nu"] == 2.0
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  kwargs:\n    qk_eps: 1e-6\n    name_like: 12e\n")
    assert load_config(config).model.kwargs == {"qk_eps": 1e-6, "name_like": "12e"}

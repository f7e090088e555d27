"""Real training runs through tools/train.py: checkpoint + exact resume, eval, 2-process DDP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import FOLDER

sys.path.insert(0, str(FOLDER / "tools"))
import eval as eval_tool  # noqa: E402
import train as train_tool  # noqa: E402

from lipsformer.engine.trainer import load_checkpoint  # noqa: E402

QUICK = FOLDER / "configs" / "quick" / "lipsformer_swin_micro_1xb64-12e_shapes32.yaml"
TINY_MODEL = [
    "model.kwargs.embed_dim=16",
    "model.kwargs.depths=[1,1]",
    "model.kwargs.num_heads=[1,2]",
    "data.batch_size=16",
    "log_interval=2",
]


def _args(data_root: Path, work_dir: Path, *extra: str) -> list[str]:
    return [
        "--config",
        str(QUICK),
        "--data-root",
        str(data_root),
        "--work-dir",
        str(work_dir),
        "--cfg-options",
        *TINY_MODEL,
        *extra,
    ]


def test_train_checkpoint_and_exact_resume(tiny_imagefolder, tmp_path):
    straight = train_tool.main(_args(tiny_imagefolder, tmp_path / "a", "schedule.epochs=2"))
    assert straight.epochs_done == 2 and not straight.diverged
    assert straight.steps_done == 2 * (80 // 16)
    assert all(torch.isfinite(torch.tensor(straight.step_losses)))
    assert (tmp_path / "a" / "last.pth").is_file() and any((tmp_path / "a" / "tb").iterdir())

    # the same 2-epoch schedule interrupted after epoch 1, then resumed: the same weights
    first = train_tool.main(
        _args(tiny_imagefolder, tmp_path / "c", "schedule.epochs=2", "schedule.stop_at_epoch=1")
    )
    assert first.epochs_done == 1
    resumed = train_tool.main(
        _args(tiny_imagefolder, tmp_path / "c", "schedule.epochs=2") + ["--resume", "auto"]
    )
    assert resumed.epochs_done == 2 and len(resumed.step_losses) == 5  # only epoch 2 was trained
    a = load_checkpoint(tmp_path / "a" / "last.pth")["model"]
    c = load_checkpoint(tmp_path / "c" / "last.pth")["model"]
    for key in a:
        torch.testing.assert_close(a[key], c[key], rtol=0, atol=0, msg=key)
    assert resumed.top1 == straight.top1

    metrics = eval_tool.main(
        [
            "--config",
            str(QUICK),
            "--data-root",
            str(tiny_imagefolder),
            "--checkpoint",
            str(tmp_path / "a" / "last.pth"),
            "--cfg-options",
            *TINY_MODEL,
        ]
    )
    assert metrics["n"] == 40 and metrics["top1"] == pytest.approx(straight.top1)


def test_train_with_mixup_cutmix_label_smoothing_and_ema(tiny_imagefolder, tmp_path):
    result = train_tool.main(
        _args(
            tiny_imagefolder,
            tmp_path,
            "schedule.epochs=1",
            "data.mixup=0.8",
            "data.cutmix=1.0",
            "ema=true",
            "ema_decay=0.9",
            "optim.clip_grad=null",
            "data.auto_augment=rand-m9-mstd0.5-inc1",
            "data.reprob=0.25",
        )
    )
    assert result.epochs_done == 1 and result.ema_top1 is not None
    state = load_checkpoint(tmp_path / "last.pth")
    assert state["ema"] is not None and state["config"]["data"]["mixup"] == 0.8


def test_divergence_is_detected_and_reported(tiny_imagefolder, tmp_path):
    result = train_tool.main(
        _args(
            tiny_imagefolder, tmp_path, "schedule.epochs=1", "optim.lr=1e30", "optim.clip_grad=null"
        )
    )
    assert result.diverged and result.epochs_done == 0


def test_unknown_arguments_and_keys_are_errors(tiny_imagefolder, tmp_path):
    with pytest.raises(SystemExit):
        train_tool.main(["--no-such-flag"])
    with pytest.raises(ValueError, match="unknown config key"):
        train_tool.main(_args(tiny_imagefolder, tmp_path, "optim.lrr=1"))


def test_two_process_gloo_ddp(tiny_imagefolder, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(29500 + os.getpid() % 1000),
        str(FOLDER / "tools" / "train.py"),
        "--launcher",
        "pytorch",
        *_args(tiny_imagefolder, tmp_path, "schedule.epochs=1"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=FOLDER)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "world_size 2" in proc.stdout
    assert "replicas in sync across 2 processes: True" in proc.stdout
    assert proc.stdout.count("val top-1") == 1  # printed by rank 0 only
    state = load_checkpoint(tmp_path / "last.pth")
    assert state["epoch"] == 1
    # 80 images, 2 processes x 16 per batch: 2 full global batches per epoch
    assert "cosine over 2 steps" in proc.stdout

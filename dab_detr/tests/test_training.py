"""Real tools/train.py runs: train, checkpoint, resume (torch weights_only load), 2 processes."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest
import torch
from conftest import ROOT, embedded_options, tiny_run_options
from mmengine.logging import HistoryBuffer

sys.path.insert(0, str(ROOT / "tools"))
import eval as eval_tool  # noqa: E402
import train as train_tool  # noqa: E402


def test_train_writes_checkpoint_then_resumes(tmp_path, tiny_shapes):
    work_dir = tmp_path / "work"
    common = ["--data-root", str(tiny_shapes)]
    metrics = train_tool.main([*common, *tiny_run_options(work_dir, max_epochs=1)])
    assert "coco/bbox_mAP" in metrics and 0.0 <= metrics["coco/bbox_mAP"] <= 1.0
    first = work_dir / "epoch_1.pth"
    assert first.exists()
    # what mmengine's resume does: a plain torch.load, i.e. weights_only=True on torch >= 2.6
    state = torch.load(first, map_location="cpu")
    assert state["meta"]["epoch"] == 1 and state["meta"]["iter"] == 2
    assert any(isinstance(v, HistoryBuffer) for v in state["message_hub"]["log_scalars"].values())

    train_tool.main([*common, "--resume", "--no-test",
                     *tiny_run_options(work_dir, max_epochs=2)])
    resumed = torch.load(work_dir / "epoch_2.pth", map_location="cpu")
    # continued from epoch 1, not restarted
    assert resumed["meta"]["epoch"] == 2 and resumed["meta"]["iter"] == 4
    logs = "".join(p.read_text() for p in work_dir.glob("*/*.log"))
    assert "resumed epoch: 1, iter: 2" in logs

    # evaluation of the checkpoint writes the drawn predictions under the work dir
    out = tmp_path / "metrics.json"
    eval_tool.main([*common, "--checkpoint", str(work_dir / "epoch_2.pth"), "--work-dir",
                    str(work_dir / "eval"), "--metrics-out", str(out), "--cfg-options",
                    *embedded_options()])
    assert "coco/bbox_mAP" in json.loads(out.read_text())
    assert len(list((work_dir / "eval").glob("*/vis/*.png"))) == 4
    assert list(work_dir.glob("*/vis_data/events.out.tfevents.*")), "TensorBoard log missing"


def test_unknown_config_key_is_an_error(tmp_path, tiny_shapes):
    with pytest.raises(KeyError, match="max_epoch"):
        train_tool.main(["--data-root", str(tiny_shapes), "--work-dir", str(tmp_path),
                         "--cfg-options", "train_cfg.max_epoch=1"])
    with pytest.raises(SystemExit):
        train_tool.main(["--epochs", "3"])


class Exploit:
    def __reduce__(self):  # getattr(HistoryBuffer, '__subclasses__') would open every class
        return (getattr, (HistoryBuffer, "__subclasses__"))


def test_allow_list_does_not_open_getattr(tmp_path):
    path = tmp_path / "crafted.pth"
    torch.save({"x": Exploit()}, path)
    with pytest.raises(pickle.UnpicklingError, match="HistoryBuffer statistics"):
        torch.load(path)


def test_two_process_gloo_training(tmp_path, tiny_shapes):
    work_dir = tmp_path / "dist"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29561", "tools/train.py", "--launcher", "pytorch", "--no-test",
           "--data-root", str(tiny_shapes), *tiny_run_options(work_dir, max_epochs=1)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = "".join(p.read_text() for p in work_dir.glob("*/*.log"))
    assert "Distributed launcher: pytorch" in logs and "Distributed training: True" in logs
    # mmengine logs no world size on CPU; the iteration count proves it: 8 images, batch 4 per
    # process, 2 processes -> one iteration per epoch (one process would need two)
    assert torch.load(work_dir / "epoch_1.pth", map_location="cpu")["meta"]["iter"] == 1

"""Configs, CLI, a real few-epoch run with checkpoint + resume, eval, DDP, Cora."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from graphnorm.config import load_config, parse_overrides

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").rglob("*.py"))
PLANETOID = ROOT.parent.parent / "shared" / "data" / "planetoid"


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_tool, eval_tool = load_tool("train"), load_tool("eval")


def tiny_args(tmp_path, *extra: str) -> list[str]:
    """A tiny graph-regression run (dropout on, learned norm with BatchNorm statistics)."""
    return [
        "--config", str(ROOT / "configs" / "quick" / "gatedgcn_learned_graph-reg.py"),
        "--work-dir", str(tmp_path / "work"),
        "--cfg-options", f"data_root={tmp_path / 'data'}", "num_graphs=[24,8,8]",
        "hidden=8", "num_layers=2", "batch_size=8", "dropout=0.2", *extra,
    ]


# ----------------------------------------------------------------------------- configs / CLI
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_every_config_loads(path):
    cfg = load_config(path)
    assert cfg.work_dir.endswith(path.stem)
    assert len(cfg.layer_norms()) == cfg.num_layers


def test_unknown_config_keys_and_arguments_are_errors(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("hiden = 32\n")
    with pytest.raises(KeyError, match="unknown config key 'hiden'"):
        load_config(bad)
    with pytest.raises(KeyError, match="unknown config key 'epoch'"):
        parse_overrides(["epoch=3"])
    with pytest.raises(TypeError, match="wrong type"):
        parse_overrides(["epochs=1.5"])
    with pytest.raises(ValueError, match="norm='NodeNorm'"):
        load_config(None, {"norm": "NodeNorm"})
    with pytest.raises(SystemExit):
        train_tool.parse_args(["--no-such-flag"])


# ----------------------------------------------------------------------------- training
def test_few_epoch_run_checkpoint_resume_and_eval(tmp_path, capsys):
    straight = train_tool.main(tiny_args(tmp_path / "a", "epochs=3"))
    out = capsys.readouterr().out
    assert "test mae:" in out and (tmp_path / "a" / "work" / "best.pth").is_file()
    assert straight["epochs_run"] == 3 and straight["test"] < 1.0

    train_tool.main(tiny_args(tmp_path / "b", "epochs=2"))
    resumed = train_tool.main(tiny_args(tmp_path / "b", "epochs=3") + ["--resume"])
    assert "resumed from" in capsys.readouterr().out
    # Same seeded shuffles, restored RNG, optimizer and BatchNorm statistics: the resumed
    # run ends exactly where the uninterrupted one does.
    a = torch.load(tmp_path / "a" / "work" / "last.pth", weights_only=True)
    b = torch.load(tmp_path / "b" / "work" / "last.pth", weights_only=True)
    assert b["epoch"] == 3
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key
    assert resumed["test"] == straight["test"]

    evaluated = eval_tool.main(tiny_args(tmp_path / "a")[:2] + [
        "--checkpoint", str(tmp_path / "a" / "work" / "best.pth"),
        "--cfg-options", f"data_root={tmp_path / 'a' / 'data'}", "num_graphs=[24,8,8]",
        "hidden=8", "num_layers=2",
    ])
    assert evaluated["mae"] == pytest.approx(straight["test"], abs=1e-6)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        train_tool.main(tiny_args(tmp_path, "epochs=1") + ["--resume"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_gloo_processes_match_one_process(tmp_path):
    """Graph-level loss, node-wise norm: 2 ranks x 4 graphs == 1 process x 8 graphs.

    (Node-wise, not graph-wise: a graph-wise norm makes the loss invariant to the bias before
    it, so that bias gets a ~1e-9 gradient whose float noise Adam scales up to full steps.)
    """
    common = ["--cfg-options", f"data_root={tmp_path / 'data'}", "num_graphs=[32,8,8]",
              "hidden=8", "num_layers=2", "batch_size=8", "norm=node", "epochs=2"]
    config = str(ROOT / "configs" / "quick" / "gatedgcn_learned_graph-reg.py")
    train_tool.main(["--config", config, "--work-dir", str(tmp_path / "single"), *common])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
         str(ROOT / "tools" / "train.py"), "--launcher", "pytorch", "--config", config,
         "--work-dir", str(tmp_path / "ddp"), *common],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "world_size=2" in proc.stdout
    single = torch.load(tmp_path / "single" / "last.pth", weights_only=True)["model"]
    ddp = torch.load(tmp_path / "ddp" / "last.pth", weights_only=True)["model"]
    for key, value in single.items():
        torch.testing.assert_close(ddp[key], value, rtol=1e-4, atol=1e-5, msg=key)


# ----------------------------------------------------------------------------- Cora
@pytest.mark.skipif(not (PLANETOID / "Cora" / "raw").is_dir(),
                    reason=f"real Planetoid sample not found at {PLANETOID}")
def test_cora_loads_through_planetoid_and_trains(tmp_path):
    source = tmp_path / "planetoid"
    shutil.copytree(PLANETOID / "Cora", source / "Cora")  # PyG writes processed/ next to raw/
    result = train_tool.main([
        "--config", str(ROOT / "configs" / "quick" / "gcn_learned_cora.py"),
        "--work-dir", str(tmp_path / "work"), "--data-dir", str(source),
        "--cfg-options", f"data_root={tmp_path / 'data'}",
    ])
    assert result["test"] > 70.0  # a 2-layer GCN reaches ~80; chance is ~30 (7 classes)


def test_missing_cora_files_are_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="Cora raw files missing"):
        train_tool.main(["--config", str(ROOT / "configs" / "quick" / "gcn_learned_cora.py"),
                         "--data-dir", str(tmp_path), "--work-dir", str(tmp_path / "w")])

"""The distributed paths users grow into, through tools/launch.sh (what the Makefile calls)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ROOT / "tools" / "launch.sh"
PROBE = Path(__file__).with_name("ddp_probe.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(out: Path, **env: str) -> subprocess.Popen:
    full_env = {**os.environ, "MASTER_ADDR": "127.0.0.1", **env}
    return subprocess.Popen([str(LAUNCH), sys.executable, str(PROBE), "--out", str(out)],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def finish(proc: subprocess.Popen) -> None:
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output


def records(out: Path) -> list[dict]:
    return sorted((json.loads(p.read_text()) for p in out.glob("rank*.json")),
                  key=lambda r: r["rank"])


def expected_weights(ranks: list[dict]) -> list[list[float]]:
    """One SGD step on all ranks' data together: what DDP's gradient averaging must equal."""
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    x = torch.cat([torch.tensor(r["x"]) for r in ranks])
    y = torch.cat([torch.tensor(r["y"]) for r in ranks])
    torch.nn.functional.mse_loss(model(x), y).backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    return [p.detach().flatten().tolist() for p in model.parameters()]


def assert_ranks_agree(ranks: list[dict], world: int) -> None:
    assert [r["rank"] for r in ranks] == list(range(world))
    assert all(r["world"] == world for r in ranks)
    assert all(r["rank_sum"] == sum(range(world)) for r in ranks)
    reference = expected_weights(ranks)
    for r in ranks:
        for got, want in zip(r["weights"], reference, strict=True):
            assert torch.allclose(torch.tensor(got), torch.tensor(want), atol=1e-6)


def test_single_process_runs_without_torchrun(tmp_path):
    finish(launch(tmp_path, GPUS="1", NNODES="1"))
    ranks = records(tmp_path)
    assert len(ranks) == 1 and ranks[0]["world"] == 1


def test_two_gloo_processes_ddp_step_equals_full_batch_step(tmp_path):
    finish(launch(tmp_path, GPUS="2", NNODES="1", MASTER_PORT=str(free_port())))
    assert_ranks_agree(records(tmp_path), world=2)


def test_two_node_launch_on_loopback(tmp_path):
    """Two torchrun invocations, NNODES=2, meeting at 127.0.0.1: 2 nodes x 2 processes."""
    port = str(free_port())
    nodes = [launch(tmp_path, GPUS="2", NNODES="2", NODE_RANK=str(rank), MASTER_PORT=port)
             for rank in (0, 1)]
    for node in nodes:
        finish(node)
    ranks = records(tmp_path)
    assert_ranks_agree(ranks, world=4)
    assert sorted(r["local_rank"] for r in ranks) == [0, 0, 1, 1]

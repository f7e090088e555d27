"""Launcher environment handling (torchrun / SLURM)."""

from __future__ import annotations

import pytest

from disco_clip.distributed import first_slurm_host, init_distributed, slurm_to_torch_env


@pytest.mark.parametrize("nodelist,host", [
    ("gpu[003-005,009],cpu01", "gpu003"),
    ("node17", "node17"),
    ("a[1,2]", "a1"),
])
def test_first_slurm_host(nodelist, host):
    assert first_slurm_host(nodelist) == host


def test_slurm_env_mapping():
    env = slurm_to_torch_env({"SLURM_PROCID": "9", "SLURM_NTASKS": "16", "SLURM_LOCALID": "1",
                              "SLURM_JOB_NODELIST": "gpu[003-004]"})
    assert env["RANK"] == "9" and env["WORLD_SIZE"] == "16" and env["LOCAL_RANK"] == "1"
    assert env["MASTER_ADDR"] == "gpu003" and env["MASTER_PORT"] == "29500"
    env = slurm_to_torch_env({"SLURM_PROCID": "0", "SLURM_NTASKS": "1", "MASTER_ADDR": "h",
                              "MASTER_PORT": "1234"})
    assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("h", "1234")
    with pytest.raises(RuntimeError, match="SLURM_PROCID"):
        slurm_to_torch_env({})


def test_launcher_none_refuses_a_multi_process_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(RuntimeError, match="--launcher pytorch"):
        init_distributed("none")
    with pytest.raises(ValueError, match="launcher"):
        init_distributed("mpi")

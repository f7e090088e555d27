"""Process-group setup for torchrun (single and multi-node) and SLURM ``srun``.

``--launcher pytorch``: torchrun has set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``.
``--launcher slurm``: one ``srun`` task per process; the SLURM variables are mapped the way
open_clip's ``distributed.py`` and mmengine do (``SLURM_PROCID`` -> ``RANK``, ``SLURM_NTASKS`` ->
``WORLD_SIZE``, ``SLURM_LOCALID`` -> ``LOCAL_RANK``; the first host of ``SLURM_JOB_NODELIST`` is
the master unless ``MASTER_ADDR`` is already set).
The backend is nccl when CUDA is available and gloo otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

LAUNCHERS = ("none", "pytorch", "slurm")


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def first_slurm_host(nodelist: str) -> str:
    """First host of a SLURM node list such as ``gpu[003-005,009],cpu01`` (no scontrol needed)."""
    match = re.match(r"([^,\[]+)(?:\[([^\]]+)\])?", nodelist)
    if match is None:
        raise ValueError(f"cannot parse SLURM_JOB_NODELIST={nodelist!r}")
    prefix, ranges = match.groups()
    if ranges is None:
        return prefix
    return prefix + ranges.split(",")[0].split("-")[0]


def slurm_to_torch_env(environ: dict[str, str], default_port: int = 29500) -> dict[str, str]:
    """The torch.distributed ``env://`` variables implied by a SLURM task environment."""
    missing = [k for k in ("SLURM_PROCID", "SLURM_NTASKS") if k not in environ]
    if missing:
        raise RuntimeError(f"--launcher slurm needs {missing} in the environment (run under srun)")
    env = {
        "RANK": environ["SLURM_PROCID"],
        "WORLD_SIZE": environ["SLURM_NTASKS"],
        "LOCAL_RANK": environ.get("SLURM_LOCALID", "0"),
        "MASTER_PORT": environ.get("MASTER_PORT", str(default_port)),
    }
    if "MASTER_ADDR" in environ:
        env["MASTER_ADDR"] = environ["MASTER_ADDR"]
    elif "SLURM_JOB_NODELIST" in environ:
        env["MASTER_ADDR"] = _scontrol_first_host(environ["SLURM_JOB_NODELIST"])
    else:
        env["MASTER_ADDR"] = "127.0.0.1"
    return env


def _scontrol_first_host(nodelist: str) -> str:
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True,
                             text=True, check=True, timeout=30).stdout.split()
        if out:
            return out[0]
    except (OSError, subprocess.SubprocessError):
        pass
    return first_slurm_host(nodelist)


def init_distributed(launcher: str = "none", timeout_s: int = 1800) -> DistEnv:
    """Initialise torch.distributed for ``launcher`` and pick this process's device."""
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {LAUNCHERS}, got {launcher!r}")
    if launcher == "none":
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise RuntimeError("WORLD_SIZE > 1 in the environment: pass --launcher pytorch "
                               "(torchrun) or --launcher slurm (srun)")
        device = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
        return DistEnv(device=device)
    if launcher == "slurm":
        os.environ.update(slurm_to_torch_env(dict(os.environ)))
    rank = int(os.environ["RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device, backend = torch.device("cuda", local_rank), "nccl"
    else:
        device, backend = torch.device("cpu"), "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, init_method="env://", rank=rank,
                                world_size=world_size, timeout=timedelta(seconds=timeout_s))
    return DistEnv(rank=rank, local_rank=local_rank, world_size=world_size, device=device)


def barrier(env: DistEnv) -> None:
    if env.distributed:
        dist.barrier()


def cleanup(env: DistEnv) -> None:
    if env.distributed and dist.is_initialized():
        dist.destroy_process_group()

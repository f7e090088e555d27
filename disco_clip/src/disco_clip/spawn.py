"""Run a function in a fresh N-process gloo group, as torch's own distributed tests do.

Used by the tests, ``tools/reproduce.py`` and ``tools/bench.py`` to measure N = 2, 4 ranks from
one command. Training itself is always launched by torchrun or srun.
"""

from __future__ import annotations

import os
import pickle
import socket
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world_size: int, port: int, backend: str, threads: int,
            fn: Callable, args: tuple, results) -> None:
    # Under torchrun the inherited TORCHELASTIC_* variables would make env:// join the agent's
    # store; this group gets its own store instead.
    for key in [k for k in os.environ if k.startswith("TORCHELASTIC_")]:
        del os.environ[key]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank))
    torch.set_num_threads(threads)
    try:
        store = dist.TCPStore("127.0.0.1", port, world_size, is_master=rank == 0,
                              timeout=timedelta(seconds=300))
        dist.init_process_group(backend, store=store, rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=300))
        # Plain pickle copies tensors by value; torch's queue would pass file descriptors that
        # die with this process.
        results.put((rank, True, pickle.dumps(fn(rank, world_size, *args))))
    except BaseException:  # noqa: BLE001 - reported to the parent with its traceback
        results.put((rank, False, traceback.format_exc()))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def run_in_process_group(fn: Callable, world_size: int, *args: Any, backend: str = "gloo",
                         threads: int = 1, timeout: float = 600.0) -> list[Any]:
    """``[fn(rank, world_size, *args) for each rank]``, each in its own spawned process.

    ``fn`` must be importable (module level). A failure on any rank raises RuntimeError with
    that rank's traceback.
    """
    ctx = _context()
    results = ctx.SimpleQueue()
    port = free_port()
    procs = [ctx.Process(target=_worker, args=(rank, world_size, port, backend, threads, fn,
                                                args, results), daemon=True)
             for rank in range(world_size)]
    for proc in procs:
        proc.start()
    outputs: dict[int, Any] = {}
    errors: dict[int, str] = {}
    try:
        for _ in range(world_size):
            rank, ok, value = _get(results, procs, timeout)
            if not ok:  # the other ranks may be stuck in a collective: stop them
                errors[rank] = value
                break
            outputs[rank] = pickle.loads(value)
    finally:
        for proc in procs:
            proc.join(timeout=1 if errors else 30)
            if proc.is_alive():
                proc.kill()
    if errors:
        rank = min(errors)
        raise RuntimeError(f"rank {rank} of {world_size} failed:\n{errors[rank]}")
    return [outputs[r] for r in range(world_size)]


def _context():
    """A forkserver that has imported torch and open_clip once, so that each process group
    starts in well under a second instead of re-importing them per rank (spawn); the server
    forks before any torch op has started a thread."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "torch.distributed", "open_clip", "disco_clip"])
    return ctx


def _get(queue, procs, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not queue.empty():
            return queue.get()
        dead = [p for p in procs if p.exitcode not in (None, 0)]
        if dead:
            time.sleep(0.5)
            if not queue.empty():
                return queue.get()
            raise RuntimeError(f"a worker died with exit code {dead[0].exitcode}")
        time.sleep(0.05)
    raise TimeoutError(f"process group did not finish within {timeout} s")

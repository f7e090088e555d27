"""Peak-memory measurement of a code region on CPU (and CUDA).

Two independent CPU measurements, both used by ``tools/reproduce.py`` and ``tools/bench.py``:

:class:`TensorMemoryTracker` (exact, allocator-level)
    A ``TorchDispatchMode`` that sees every ATen op run inside the region, forward and backward
    (the autograd engine replays the mode), including the collectives' output buffers. Each
    fresh output storage (one that does not alias an input) adds its ``nbytes`` to a live
    counter; a ``weakref.finalize`` on the storage subtracts them when the storage is freed.
    The peak of the counter is the peak of tensor memory *allocated inside the region* over what
    was live before it. Kernel-internal scratch that never becomes a tensor is not seen.

:class:`PeakRSS` (process-level)
    Resets the kernel's resident-set high-water mark (``/proc/self/clear_refs`` <- ``5``), runs
    the region and reports ``VmHWM`` minus the RSS at entry. glibc is told to serve every
    allocation >= 64 KiB with its own mmap and to give freed memory back at once (``mallopt``),
    so the RSS follows the live heap instead of glibc's cache. Includes everything the process
    touches (library scratch, gloo's buffers), hence slightly above the tensor count.

On CUDA, :func:`measure_peak` uses ``torch.cuda.max_memory_allocated`` instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import weakref
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

MiB = 2**20


class TensorMemoryTracker(TorchDispatchMode):
    """Track the peak bytes of tensor storages allocated while the mode is active."""

    def __init__(self, device_type: str = "cpu") -> None:
        super().__init__()
        self.device_type = device_type
        self.live = 0
        self.peak = 0
        self._seen: set[int] = set()

    def _free(self, key: int, nbytes: int) -> None:
        self._seen.discard(key)
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {
            t.untyped_storage().data_ptr()
            for t in tree_flatten((args, kwargs))[0]
            if isinstance(t, torch.Tensor) and t.device.type == self.device_type
        }
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor) or t.device.type != self.device_type:
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key in inputs or key in self._seen or storage.nbytes() == 0:
                continue  # a view, an in-place result, or already counted
            self._seen.add(key)
            self.live += storage.nbytes()
            self.peak = max(self.peak, self.live)
            weakref.finalize(storage, self._free, key, storage.nbytes())
        return out


def _libc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def make_rss_track_heap() -> bool:
    """Ask glibc to mmap every allocation >= 64 KiB and trim freed memory at once."""
    libc = _libc()
    if libc is None:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, 64 * 1024) == 1
    ok &= libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024) == 1
    return bool(ok)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        match = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.MULTILINE)
    if match is None:
        raise OSError(f"/proc/self/status has no {field}")
    return int(match.group(1))


class PeakRSS:
    """Context manager: ``.peak`` = resident high-water mark above the RSS at entry, in bytes."""

    def __init__(self) -> None:
        self.peak: int | None = None
        self._start = 0

    @staticmethod
    def available() -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            _status_kib("VmHWM")
            return True
        except OSError:
            return False

    def __enter__(self):
        libc = _libc()
        if libc is not None:
            libc.malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        self._start = _status_kib("VmRSS")
        return self

    def __exit__(self, *exc) -> None:
        self.peak = max(0, _status_kib("VmHWM") - self._start) * 1024


@dataclass
class PeakMemory:
    tensor_bytes: int  # TensorMemoryTracker (CPU) or max_memory_allocated delta (CUDA)
    rss_bytes: int | None  # PeakRSS (CPU only; None where unavailable)


@contextmanager
def measure_peak(device: torch.device, rss: bool = True):
    """Measure the peak memory of the ``with`` body; the result is yielded and filled on exit."""
    result = PeakMemory(0, None)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        start = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        yield result
        torch.cuda.synchronize(device)
        result.tensor_bytes = torch.cuda.max_memory_allocated(device) - start
        return
    tracker = TensorMemoryTracker(device.type)
    rss_meter = PeakRSS() if rss and PeakRSS.available() else None
    if rss_meter is not None:
        rss_meter.__enter__()
    with tracker:
        yield result
    if rss_meter is not None:
        rss_meter.__exit__(None, None, None)
        result.rss_bytes = rss_meter.peak
    result.tensor_bytes = tracker.peak

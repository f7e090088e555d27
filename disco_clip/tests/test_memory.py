"""The memory meter itself, and the memory claim at test scale (2 gloo ranks)."""

from __future__ import annotations

import dist_workers
import torch

from disco_clip.benchmark import analytic_bytes, max_batch_analytic
from disco_clip.memory import PeakRSS, TensorMemoryTracker, measure_peak
from disco_clip.spawn import run_in_process_group

MIB = 2**20


def test_tracker_counts_live_tensors_not_views():
    with TensorMemoryTracker() as tracker:
        a = torch.zeros(MIB // 4)  # 1 MiB of float32
        b = torch.ones(MIB // 4)
        view = a[:10]
        a.add_(1)  # in place: no new storage
        del a, view
        c = b * 2  # 1 MiB, while b is alive: live = 2 MiB, peak stays 2 MiB
        del b
        assert tracker.live == 1 * MIB
    assert tracker.peak == 2 * MIB
    assert c.numel() == MIB // 4


def test_tracker_sees_backward():
    x = torch.randn(256, 256, requires_grad=True)  # created outside: not counted
    with TensorMemoryTracker() as tracker:
        (x @ x).sum().backward()
    # forward: the product (256 KiB); backward: ones-expand grad, two matmul grads, the sum
    assert tracker.peak >= 2 * 256 * 256 * 4
    assert x.grad is not None


def test_measure_peak_reports_rss_when_available():
    with measure_peak(torch.device("cpu")) as peak:
        buf = torch.ones(16 * MIB // 4)
        del buf
    assert peak.tensor_bytes == 16 * MIB
    if PeakRSS.available():
        assert peak.rss_bytes is not None and peak.rss_bytes >= 12 * MIB


def test_analytic_model_orders_methods():
    for n in (2, 4):
        naive = analytic_bytes("naive", 16384, n, 512)
        disco = analytic_bytes("disco", 16384, n, 512)
        tiled = analytic_bytes("tiled", 16384, n, 512)
        assert disco < naive / n * 1.2 and tiled < disco
    assert max_batch_analytic("disco", 2**30, 4, 512, multiple=64) > \
        max_batch_analytic("disco", 2**30, 2, 512, multiple=64) > \
        max_batch_analytic("naive", 2**30, 2, 512, multiple=64)


def test_disco_loss_memory_is_a_half_of_naive_on_two_ranks():
    peaks = run_in_process_group(dist_workers.loss_memory, 2, 1024, 32)[0]
    assert peaks["disco"] <= 1.2 / 2 * peaks["naive"], peaks
    assert peaks["local"] <= 1.2 / 2 * peaks["naive"], peaks
    assert peaks["tiled"] < peaks["disco"] / 4, peaks

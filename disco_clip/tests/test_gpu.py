"""CUDA paths: nccl collectives and AMP. Skipped on CPU-only machines."""

from __future__ import annotations

import pytest
import torch
from open_clip import ClipLoss

from disco_clip import DisCoClipLoss

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_cuda_single_process_matches_clip_loss():
    g = torch.Generator(device="cuda").manual_seed(0)
    image = torch.nn.functional.normalize(torch.randn(64, 32, device="cuda", generator=g), dim=-1)
    text = torch.nn.functional.normalize(torch.randn(64, 32, device="cuda", generator=g), dim=-1)
    scale = torch.tensor(20.0, device="cuda")
    ref = ClipLoss()(image, text, scale)
    torch.testing.assert_close(DisCoClipLoss("open_clip")(image, text, scale), ref)
    torch.testing.assert_close(DisCoClipLoss("open_clip", tile_size=16)(image, text, scale), ref)
    with torch.autocast("cuda", dtype=torch.float16):
        tiled = DisCoClipLoss("open_clip", tile_size=16)(image, text, scale)
    torch.testing.assert_close(tiled.float(), ref, rtol=1e-3, atol=1e-3)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA devices for nccl")
def test_nccl_two_ranks_match_full_batch():
    import dist_workers

    from disco_clip.spawn import run_in_process_group

    per_rank = run_in_process_group(_nccl_worker, 2, backend="nccl")
    image, text, scale = dist_workers.global_inputs(2, 6)
    ref = 2 * ClipLoss()(image, text, scale)
    torch.testing.assert_close(torch.stack(per_rank).mean(), ref, rtol=1e-9, atol=1e-9)


def _nccl_worker(rank, world_size):
    import dist_workers

    torch.cuda.set_device(rank)
    image, text, scale = dist_workers.global_inputs(world_size, 6)
    rows = slice(rank * 6, (rank + 1) * 6)
    loss = DisCoClipLoss()(image[rows].cuda(), text[rows].cuda(), scale.cuda())
    return loss.detach().cpu()

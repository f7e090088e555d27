"""DisCo loss equals the single-process full-batch loss (float64, gloo groups of 2 and 4)."""

from __future__ import annotations

import dist_workers
import pytest
import torch
from open_clip import ClipLoss
from open_clip.loss import SigLipLoss

from disco_clip import DisCoClipLoss, DisCoSigLipLoss, disco_gather, equivalence
from disco_clip.spawn import run_in_process_group
from disco_clip.tiled import RingTiledContrastiveLoss

LOCAL_BATCH = 6  # tile_size 4 in the tiled variants: two tiles per block, the last one partial
TOL = {"rtol": 1e-10, "atol": 1e-12}


def full_batch_reference(world_size: int):
    return equivalence.full_batch_reference(world_size, LOCAL_BATCH)


@pytest.fixture(scope="module", params=[2, 4], ids=lambda n: f"N{n}")
def distributed_run(request):
    world_size = request.param
    per_rank = run_in_process_group(dist_workers.loss_and_grads, world_size, LOCAL_BATCH)
    return world_size, per_rank


@pytest.mark.parametrize("variant", ["paper", "paper_all_reduce", "paper_tiled"])
def test_paper_scale_equals_full_batch_loss(distributed_run, variant):
    """Paper scale: loss = CE_img + CE_txt, the gradient of exactly that full-batch loss."""
    world_size, per_rank = distributed_run
    ref_loss, ref_image, ref_text, ref_scale = full_batch_reference(world_size)
    loss, image, text, scale = equivalence.combine(per_rank, variant)
    torch.testing.assert_close(loss, 2 * ref_loss, **TOL)
    torch.testing.assert_close(image, 2 * ref_image, **TOL)
    torch.testing.assert_close(text, 2 * ref_text, **TOL)
    torch.testing.assert_close(scale, 2 * ref_scale, **TOL)


@pytest.mark.parametrize("variant", ["open_clip", "open_clip_all_reduce", "open_clip_tiled"])
def test_open_clip_scale_equals_clip_loss_local(distributed_run, variant):
    """open_clip scale: same value and gradients as ClipLoss(local_loss, gather_with_grad)."""
    world_size, per_rank = distributed_run
    ref_loss, ref_image, ref_text, ref_scale = full_batch_reference(world_size)
    for rank in per_rank:
        for ours, theirs in zip(rank[variant], rank["open_clip_local"], strict=True):
            torch.testing.assert_close(ours, theirs, **TOL)
    loss, image, text, scale = equivalence.combine(per_rank, variant)
    torch.testing.assert_close(loss, ref_loss, **TOL)
    torch.testing.assert_close(image, world_size * ref_image, **TOL)  # N x the full-batch grad
    torch.testing.assert_close(text, world_size * ref_text, **TOL)
    torch.testing.assert_close(scale, ref_scale, **TOL)


def test_max_abs_differences_helper_agrees(distributed_run):
    world_size, per_rank = distributed_run
    for name in ("paper", "open_clip_tiled", "open_clip_local", "naive"):
        diffs = equivalence.max_abs_differences(per_rank, name, world_size, LOCAL_BATCH)
        assert max(diffs.values()) < 1e-12, (name, diffs)


def test_documented_factor_between_scales(distributed_run):
    """open_clip local = N/2 x paper on the features; naive = paper / 2 (ClipLoss halves)."""
    world_size, per_rank = distributed_run
    for rank in per_rank:
        _, p_img, p_txt, _ = rank["paper"]
        _, l_img, l_txt, _ = rank["open_clip_local"]
        _, n_img, n_txt, _ = rank["naive"]
        torch.testing.assert_close(l_img, world_size / 2 * p_img, **TOL)
        torch.testing.assert_close(l_txt, world_size / 2 * p_txt, **TOL)
        torch.testing.assert_close(n_img, p_img / 2, **TOL)
        torch.testing.assert_close(n_txt, p_txt / 2, **TOL)


@pytest.mark.parametrize("key", ["uneven_blockwise", "uneven_tiled"])
def test_uneven_batches_raise_on_every_rank(distributed_run, key):
    world_size, per_rank = distributed_run
    expected = str([[3, 3]] + [[4, 4]] * (world_size - 1))
    for rank in per_rank:
        assert "one batch size" in rank[key] and expected in rank[key], rank[key]


def test_mismatched_image_text_batch_raises(distributed_run):
    world_size, per_rank = distributed_run
    expected = str([[4, 4]] * (world_size - 1) + [[4, 3]])
    for rank in per_rank:
        assert expected in rank["mismatched"], rank["mismatched"]


def test_local_rows_with_avg_gather_is_wrong(distributed_run):
    """The pitfall the paper avoids by slicing rows from the gathered tensor (notes Sec. 2.4):
    local rows + AVG gather give a gradient that is not a multiple of the right one."""
    world_size, per_rank = distributed_run
    _, ref_image, _, _ = full_batch_reference(world_size)
    ratio = torch.cat([rank["local_rows_avg"][0] for rank in per_rank]) / (2 * ref_image)
    assert not torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-3)


def _siglip_combined(per_rank, name):
    """Rank-mean loss, scale and bias grads; concatenated feature grads."""
    loss, image, text, scale, bias = zip(*(r[name] for r in per_rank), strict=True)
    return (torch.stack(loss).mean(), torch.cat(image), torch.cat(text),
            torch.stack(scale).mean(), torch.stack(bias).mean())


def test_siglip_matches_open_clip_and_full_batch(distributed_run):
    world_size, per_rank = distributed_run
    for rank in per_rank:  # open_clip scale: identical to open_clip's SigLipLoss, rank by rank
        for ours, theirs in zip(rank["siglip_open_clip"], rank["siglip_open_clip_ref"],
                                strict=True):
            torch.testing.assert_close(ours, theirs, **TOL)
    ref = dist_workers.siglip_grads(SigLipLoss(), *dist_workers.siglip_inputs(world_size,
                                                                            LOCAL_BATCH))
    paper = _siglip_combined(per_rank, "siglip_paper")
    for ours, theirs in zip(paper, ref, strict=True):  # paper scale: the full-batch loss
        torch.testing.assert_close(ours, theirs, **TOL)
    open_clip_scale = _siglip_combined(per_rank, "siglip_open_clip")
    torch.testing.assert_close(open_clip_scale[1], world_size * ref[1], **TOL)


def test_single_process_matches_clip_loss():
    image, text, scale = dist_workers.global_inputs(1, 10)
    ref = ClipLoss()(image, text, scale)
    torch.testing.assert_close(DisCoClipLoss()(image, text, scale), 2 * ref, **TOL)
    torch.testing.assert_close(DisCoClipLoss("open_clip")(image, text, scale), ref, **TOL)
    torch.testing.assert_close(DisCoClipLoss(tile_size=3)(image, text, scale), 2 * ref, **TOL)
    out = DisCoClipLoss()(image, text, scale, output_dict=True)
    assert set(out) == {"contrastive_loss"}
    bias = torch.tensor(-1.0, dtype=torch.float64)
    torch.testing.assert_close(DisCoSigLipLoss()(image, text, scale, bias),
                               SigLipLoss()(image, text, scale, bias), **TOL)


@pytest.mark.parametrize("halve,average", [(False, True), (True, False)])
def test_tiled_backward_gradcheck(halve, average):
    image, text, _ = dist_workers.global_inputs(1, 5, dim=3, seed=1)
    scale = torch.tensor(2.5, dtype=torch.float64)
    inputs = tuple(t.clone().requires_grad_() for t in (image, text, scale))
    assert torch.autograd.gradcheck(
        lambda i, t, s: RingTiledContrastiveLoss.apply(i, t, s, None, 2, halve, average), inputs)


def test_single_process_gather_is_identity_with_gradient():
    x = torch.randn(3, 4, requires_grad=True)
    disco_gather(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))
    with pytest.raises(ValueError, match="reduction"):
        disco_gather(x, reduction="mean")


def test_constructor_validation():
    with pytest.raises(ValueError, match="gradient_scale"):
        DisCoClipLoss("bogus")
    with pytest.raises(ValueError, match="tile_size"):
        DisCoClipLoss(tile_size=0)
    with pytest.raises(ValueError, match="backward_collective"):
        DisCoClipLoss(backward_collective="broadcast")
    with pytest.raises(ValueError, match="world_size=2"):
        DisCoClipLoss(world_size=2)(torch.randn(2, 3), torch.randn(2, 3), torch.tensor(1.0))

"""Schedule resizing and launcher settings shared by the tools."""

from __future__ import annotations

import pytest
import torch
from conftest import PROJECT

from hamming_ocr.runner_utils import (
    DEFAULT_CONFIG,
    configure_launcher,
    load_config,
    set_max_iters,
)


@pytest.mark.parametrize('max_iters', [50, 600, 6000])
def test_set_max_iters_rescales_the_decay_and_keeps_the_warm_up(max_iters):
    cfg = load_config(DEFAULT_CONFIG)
    warm_up, decay = cfg.param_scheduler
    set_max_iters(cfg, max_iters)
    assert cfg.train_cfg.max_iters == max_iters == cfg.default_hooks.checkpoint.interval
    ends = [s.end for s in cfg.param_scheduler]
    assert ends[-1] == max_iters  # the cosine decay always runs to the new end
    if max_iters > warm_up.end:
        assert ends[0] == warm_up.end and cfg.param_scheduler[1].begin == decay.begin


def test_configure_launcher_on_cpu_uses_gloo_without_device_ids():
    if torch.cuda.is_available():
        pytest.skip('CPU-only settings')
    cfg = load_config(PROJECT / 'configs' / 'quick' /
                      'master_mini-resnet_1xb32-2000it_synth-latin.py')
    configure_launcher(cfg, 'none')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo' and 'model_wrapper_cfg' not in cfg

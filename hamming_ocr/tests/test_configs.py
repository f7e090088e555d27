"""Every config loads, builds, and its model runs loss + backward + predict on tiny input."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import PROJECT
from mmengine.config import Config
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

CONFIGS = sorted(p for p in (PROJECT / 'configs').rglob('*.py') if '_base_' not in p.parts)


def test_configs_exist():
    names = {p.name for p in CONFIGS}
    assert 'hamming-ocr_mini-resnet_1xb32-2000it_synth-latin.py' in names
    assert len(CONFIGS) >= 11


def input_size(cfg: Config) -> tuple[int, int]:
    steps = {step['type']: step for step in cfg.test_pipeline}
    return steps['RescaleToHeight']['height'], steps['PadToWidth']['width']


def tiny_samples(height: int, width: int, texts: list[str]) -> list[TextRecogDataSample]:
    samples = []
    for text in texts:
        sample = TextRecogDataSample(metainfo=dict(img_shape=(height, width), valid_ratio=1.0))
        sample.gt_text = LabelData(item=text)
        samples.append(sample)
    return samples


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(Path(p).relative_to(PROJECT)))
def test_config_builds_and_trains_one_step(path):
    cfg = Config.fromfile(str(path))
    assert cfg.model.decoder.dictionary is not None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    height, width = input_size(cfg)
    inputs = torch.randn(2, 3, height, width)
    data = model.data_preprocessor(
        dict(inputs=list(inputs * 50 + 127), data_samples=tiny_samples(height, width,
                                                                      ['ab1', 'Z'])), True)
    model.train()
    losses = model(**data, mode='loss')
    loss = sum(losses.values())
    assert torch.isfinite(loss)
    loss.backward()
    no_grad = [name for name, p in model.named_parameters() if p.grad is None]
    assert not no_grad, f'parameters without gradient: {no_grad[:5]}'

    model.eval()
    model.decoder.max_seq_len = 3  # predict runs the full greedy loop; keep it short
    with torch.no_grad():
        predictions = model(**data, mode='predict')
    assert len(predictions) == 2
    assert all(isinstance(s.pred_text.item, str) for s in predictions)

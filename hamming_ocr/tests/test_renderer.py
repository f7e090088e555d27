"""Renderer: deterministic per seed, mmocr JSON format, real fonts, CJK."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CJK_DICT, LATIN_DICT
from mmocr.datasets import OCRDataset
from PIL import Image

from hamming_ocr.datasets import RenderSpec, read_charset, render_dataset


def spec(**kwargs) -> RenderSpec:
    return RenderSpec(**{**dict(dict_file=str(LATIN_DICT), num_train=6, num_test=3, seed=0),
                         **kwargs})


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob('*')
            if p.is_file()}


def test_same_seed_gives_identical_files(tmp_path):
    render_dataset(spec(), tmp_path / 'a')
    render_dataset(spec(), tmp_path / 'b')
    a, b = files(tmp_path / 'a'), files(tmp_path / 'b')
    assert len(a) == 6 + 3 + 2 and a == b


def test_other_seed_gives_other_data(tmp_path):
    render_dataset(spec(seed=0), tmp_path / 'a')
    render_dataset(spec(seed=1), tmp_path / 'b')
    texts = [json.loads((tmp_path / s / 'textrecog_train.json').read_text())['data_list']
             for s in 'ab']
    assert [d['instances'][0]['text'] for d in texts[0]] != \
        [d['instances'][0]['text'] for d in texts[1]]


def test_output_is_mmocr_textrecog_json(tmp_path):
    render_dataset(spec(), tmp_path)
    dataset = OCRDataset(data_root=str(tmp_path), ann_file='textrecog_train.json',
                         pipeline=[dict(type='LoadImageFromFile'),
                                   dict(type='LoadOCRAnnotations', with_text=True)])
    assert dataset.metainfo['dataset_type'] == 'TextRecogDataset'
    assert dataset.metainfo['task_name'] == 'textrecog'
    charset = set(read_charset(LATIN_DICT))
    for index in range(len(dataset)):
        sample = dataset[index]
        text = sample['instances'][0]['text']
        assert 3 <= len(text) <= 8 and set(text) <= charset
        image = sample['img']
        assert image.ndim == 3 and image.shape[0] >= 16 and image.std() > 5  # not blank


def test_rendering_is_reused_and_redone_when_the_spec_changes(tmp_path):
    render_dataset(spec(), tmp_path)
    annotation = tmp_path / 'textrecog_test.json'
    stamp = annotation.stat().st_mtime_ns
    render_dataset(spec(), tmp_path)
    assert annotation.stat().st_mtime_ns == stamp
    render_dataset(spec(num_test=4), tmp_path)
    assert len(json.loads(annotation.read_text())['data_list']) == 4


def test_images_vary_in_size_colour_and_background(tmp_path):
    render_dataset(spec(num_train=40), tmp_path)
    images = [np.asarray(Image.open(p)) for p in sorted((tmp_path / 'textrecog_imgs' /
                                                         'train').glob('*.png'))]
    heights = {im.shape[0] for im in images}
    means = np.array([im.reshape(-1, 3).mean(0) for im in images])
    assert len(heights) > 5 and means.std(0).min() > 20


def test_cjk_rendering_uses_cjk_fonts(tmp_path):
    try:
        metainfo = render_dataset(spec(dict_file=str(CJK_DICT), fonts=('cjk',), min_len=2,
                                       max_len=4, text_charset_size=50), tmp_path)
    except FileNotFoundError as error:
        pytest.skip(f'CJK fonts missing: {error}')
    assert any('CJK' in name for name in metainfo['renderer']['fonts'])
    data = json.loads((tmp_path / 'textrecog_train.json').read_text(encoding='utf-8'))
    texts = [d['instances'][0]['text'] for d in data['data_list']]
    assert all('\u4e00' <= c <= '\u9fa5' for text in texts for c in text)
    image = np.asarray(Image.open(tmp_path / data['data_list'][0]['img_path']))
    assert image.std() > 5


def test_unknown_render_option_is_an_error():
    with pytest.raises(TypeError, match='unknown render option'):
        RenderSpec.from_cfg(dict(dict_file=str(LATIN_DICT), num_trian=5))

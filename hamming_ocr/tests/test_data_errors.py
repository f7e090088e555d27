"""Bad input: labels outside the dictionary, empty labels, undecodable images."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import LATIN_DICT

from hamming_ocr.datasets import CheckedOCRDataset


def write_ann(root, texts):
    data_list = [dict(img_path=f'textrecog_imgs/train/{i:06d}.png', instances=[dict(text=t)])
                 for i, t in enumerate(texts)]
    path = root / 'bad.json'
    path.write_text(json.dumps(dict(metainfo=dict(dataset_type='TextRecogDataset',
                                                  task_name='textrecog'),
                                    data_list=data_list), ensure_ascii=False))
    return path.name


@pytest.fixture
def data_root(tiny_latin_root, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(tiny_latin_root, root)
    return root


def test_character_outside_dictionary_is_a_clear_error(data_root):
    ann = write_ann(data_root, ['fine', 'caf\u00e9', 'ok'])
    with pytest.raises(ValueError) as error:
        CheckedOCRDataset(data_root=str(data_root), ann_file=ann, dict_file=str(LATIN_DICT))
    message = str(error.value)
    assert 'bad.json' in message and 'data_list[1]' in message
    assert '000001.png' in message and "'\u00e9'" in message and 'instances[0].text' in message


def test_empty_label_is_a_clear_error(data_root):
    ann = write_ann(data_root, ['fine', ''])
    with pytest.raises(ValueError, match=r'data_list\[1\].*empty'):
        CheckedOCRDataset(data_root=str(data_root), ann_file=ann, dict_file=str(LATIN_DICT))


def test_skip_mode_drops_and_counts_invalid_labels(data_root):
    ann = write_ann(data_root, ['fine', 'caf\u00e9', '', 'ok', '\u4e2d'])
    dataset = CheckedOCRDataset(data_root=str(data_root), ann_file=ann,
                                dict_file=str(LATIN_DICT), invalid='skip')
    assert len(dataset) == 2 and dataset.num_skipped == 3
    assert [dataset.get_data_info(i)['instances'][0]['text'] for i in range(2)] == ['fine', 'ok']


def test_undecodable_image_is_a_clear_error(data_root):
    ann = write_ann(data_root, ['fine'])
    (data_root / 'textrecog_imgs' / 'train' / '000000.png').write_bytes(b'not a png')
    dataset = CheckedOCRDataset(
        data_root=str(data_root), ann_file=ann, dict_file=str(LATIN_DICT), test_mode=True,
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadOCRAnnotations',
                                                       with_text=True)])
    with pytest.raises(OSError, match='000000.png is broken'):
        dataset[0]

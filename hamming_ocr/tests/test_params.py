"""Classifier + embedding parameters: independent of V for Hamming, 2dV + V for softmax."""

from __future__ import annotations

import pytest
from conftest import make_dictionary, write_prefix_dict

from hamming_ocr.models import HammingMasterDecoder

D_MODEL, CODE_BITS = 32, 16


def decoder(dictionary, hamming: bool) -> HammingMasterDecoder:
    head = dict(type='HammingClassifier',
                code_book=dict(type='LSHCodeBook', code_bits=CODE_BITS)) if hamming \
        else dict(type='SoftmaxClassifier')
    return HammingMasterDecoder(
        n_layers=2, n_head=2, d_model=D_MODEL, d_inner=64, use_ffn=not hamming,
        share_layers=hamming, feat_size=8, classifier=head,
        embedding=dict(type='CodeEmbedding' if hamming else 'LookupEmbedding'),
        dictionary=dictionary, max_seq_len=5)


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope='module')
def dictionaries(tmp_path_factory):
    root = tmp_path_factory.mktemp('dicts')
    return {size: make_dictionary(write_prefix_dict(root / f'{size}.txt', size))
            for size in (100, 1000, 6000, 20000)}


def test_hamming_parameter_count_is_independent_of_vocabulary(dictionaries):
    counts = {size: count(decoder(d, hamming=True)) for size, d in dictionaries.items()}
    assert len(set(counts.values())) == 1, counts
    head_and_embedding = D_MODEL * CODE_BITS + CODE_BITS + CODE_BITS * D_MODEL + D_MODEL
    model = decoder(dictionaries[100], hamming=True)
    assert count(model.classifier) + count(model.embedding) == head_and_embedding


def test_softmax_parameter_count_grows_by_2dV_plus_V(dictionaries):
    counts = {size: count(decoder(d, hamming=False)) for size, d in dictionaries.items()}
    for size in (1000, 6000, 20000):
        extra = size - 100
        assert counts[size] - counts[100] == 2 * D_MODEL * extra + extra
    model = decoder(dictionaries[100], hamming=False)
    num_classes = dictionaries[100].num_classes  # 100 + BOS/EOS, PAD, UKN
    assert count(model.classifier) + count(model.embedding) == 2 * D_MODEL * num_classes \
        + num_classes


def test_shared_ffn_free_decoder_holds_one_layer_without_ffn(dictionaries):
    shared = decoder(dictionaries[100], hamming=True)
    assert len(shared.decoder_layers) == 1 and len(shared.layers()) == 2
    assert shared.layers()[0] is shared.layers()[1]
    assert len(shared.decoder_layers[0].ffns) == 0
    standard = decoder(dictionaries[100], hamming=False)
    assert len(standard.decoder_layers) == 2 and len(standard.decoder_layers[0].ffns) == 1

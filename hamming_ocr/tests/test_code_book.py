"""LSH code book and Hamming classifier: unique K-bit codes, decoding, robustness."""

from __future__ import annotations

import pytest
import torch
from conftest import CJK_DICT, LATIN_DICT, make_dictionary

from hamming_ocr.datasets import resolve_font_set
from hamming_ocr.models import HammingClassifier, LSHCodeBook, pairwise_min_distance


def classifier(dictionary, **code_book) -> HammingClassifier:
    return HammingClassifier(in_channels=8, dictionary=dictionary,
                             code_book=dict(type='LSHCodeBook', **code_book))


def latin_font() -> str:
    try:
        return resolve_font_set('latin')[0]
    except FileNotFoundError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize('source', ['random', 'glyph'])
@pytest.mark.parametrize('code_bits', [8, 64])
def test_latin_codes_are_unique_and_k_bit(latin_dictionary, source, code_bits):
    font = latin_font() if source == 'glyph' else None
    codes = LSHCodeBook(code_bits=code_bits, source=source, font=font)(latin_dictionary.dict)
    assert codes.dtype == torch.bool
    assert codes.shape == (latin_dictionary.num_classes, code_bits)  # 90 chars + 3 specials
    assert len({tuple(row.tolist()) for row in codes}) == codes.shape[0]


def test_20k_codes_are_unique():
    dictionary = make_dictionary(CJK_DICT)
    codes = LSHCodeBook(code_bits=64)(dictionary.dict)
    assert codes.shape == (20003, 64)
    assert torch.unique(codes, dim=0).shape[0] == 20003


def test_tight_code_space_stays_collision_free(latin_dictionary):
    # 93 entries in 2^7 = 128 codes: random hyperplanes collide; repair must still give 93 codes
    codes = LSHCodeBook(code_bits=7)(latin_dictionary.dict)
    assert torch.unique(codes, dim=0).shape[0] == latin_dictionary.num_classes
    with pytest.raises(ValueError, match='cannot get unique'):
        LSHCodeBook(code_bits=6)(latin_dictionary.dict)  # 2^6 = 64 < 93


def test_codes_are_deterministic_per_seed(latin_dictionary):
    a = LSHCodeBook(seed=1)(latin_dictionary.dict)
    assert torch.equal(a, LSHCodeBook(seed=1)(latin_dictionary.dict))
    assert not torch.equal(a, LSHCodeBook(seed=2)(latin_dictionary.dict))


def test_codes_are_a_buffer_not_parameters(latin_dictionary):
    head = classifier(latin_dictionary, code_bits=32)
    assert 'codes' in head.state_dict()
    assert all('codes' not in name for name, _ in head.named_parameters())
    assert sum(p.numel() for p in head.parameters()) == 8 * 32 + 32  # d*K + K


@pytest.mark.parametrize('dict_file', [LATIN_DICT, CJK_DICT])
def test_decoding_maps_every_code_back_to_its_character(dict_file):
    dictionary = make_dictionary(dict_file)
    head = classifier(dictionary, code_bits=64)
    # in blocks: one (V, V) score matrix of the 20k book would take 1.6 GB
    index, score = (torch.cat(parts) for parts in zip(
        *(head.predict(block) for block in (head.code_signs * 3.0).split(2048)), strict=True))
    assert torch.equal(index, torch.arange(dictionary.num_classes))
    assert bool((score > 0.9).all())
    decoded = dictionary.idx2str(index[:-3].tolist())  # without the 3 special tokens
    assert decoded == ''.join(dictionary.dict[:-3])


def test_single_flipped_bit_is_corrected_with_min_distance_3(latin_dictionary):
    head = classifier(latin_dictionary, code_bits=16, min_distance=3)
    assert int(pairwise_min_distance(head.codes).min()) >= 3
    signs = head.code_signs
    num_codes, num_bits = signs.shape
    # every code with every single bit flipped: (V * K, K)
    flipped = signs.repeat_interleave(num_bits, dim=0)
    flipped[torch.arange(num_codes * num_bits), torch.arange(num_bits).repeat(num_codes)] *= -1
    index, _ = head.predict(flipped)
    assert torch.equal(index, torch.arange(num_codes).repeat_interleave(num_bits))


def test_flipped_bits_decode_exactly_where_code_distance_allows(latin_dictionary):
    """A random 64-bit book: flipping t bits of code c decodes to c whenever 2t < d_min(c)."""
    head = classifier(latin_dictionary, code_bits=64)
    nearest = pairwise_min_distance(head.codes)
    generator = torch.Generator().manual_seed(0)
    for row in range(head.codes.shape[0]):
        flips = (int(nearest[row]) - 1) // 2  # the correctable radius of this code
        noisy = head.code_signs[row].clone()
        noisy[torch.randperm(64, generator=generator)[:flips]] *= -1
        assert int(head.predict(noisy)[0]) == row
    # beyond the radius it can fail: move the closest code past half-way to its neighbour
    row = int(nearest.argmin())
    other = int(head.hamming_distance(head.code_signs[row])
                .masked_fill(torch.arange(len(nearest)) == row, 99).argmin())
    differing = torch.nonzero(head.code_signs[row] != head.code_signs[other]).flatten()
    moved = head.code_signs[row].clone()
    moved[differing[:len(differing) // 2 + 1]] *= -1
    assert int(head.predict(moved)[0]) != row


def test_vectorised_decoding_is_nearest_hamming(latin_dictionary):
    head = classifier(latin_dictionary, code_bits=24)
    logits = torch.randn(200, 24, generator=torch.Generator().manual_seed(0))
    index, _ = head.predict(logits)
    bits = logits >= 0
    for row in range(200):
        distances = [(bits[row] != code).sum().item() for code in head.codes]
        assert distances[int(index[row])] == min(distances)


def test_min_distance_is_enforced(latin_dictionary):
    codes = LSHCodeBook(code_bits=24, min_distance=6)(latin_dictionary.dict)
    assert int(pairwise_min_distance(codes).min()) >= 6
    with pytest.raises(ValueError, match='min_distance'):
        LSHCodeBook(code_bits=8, min_distance=5, max_redraws=3)(latin_dictionary.dict)


def test_glyph_codes_are_locality_sensitive(latin_dictionary):
    """Look-alike glyphs hash to nearer codes than the average pair does."""
    codes = LSHCodeBook(code_bits=64, source='glyph', font=latin_font())(latin_dictionary.dict)
    index = {c: i for i, c in enumerate(latin_dictionary.dict)}

    def distance(a: str, b: str) -> int:
        return int((codes[index[a]] != codes[index[b]]).sum())

    look_alikes = [('O', '0'), ('l', 'I'), ('c', 'e'), (',', '.'), ('C', 'G')]
    mean_all = (codes[:90, None] != codes[None, :90]).sum(-1).float().sum() / (90 * 89)
    assert sum(distance(a, b) for a, b in look_alikes) / len(look_alikes) < 0.6 * mean_all


@pytest.mark.parametrize('loss', ['bce', 'soft_hamming_ce'])
def test_loss_prefers_the_target_code(latin_dictionary, loss):
    """Both training losses are lower for bit logits pointing at the target's code."""
    head = HammingClassifier(in_channels=8, dictionary=latin_dictionary,
                             code_book=dict(type='LSHCodeBook', code_bits=32), loss=loss,
                             label_smoothing=0.1 if loss == 'soft_hamming_ce' else 0.0)
    targets = torch.tensor([[3, 17, 40]])
    valid = torch.tensor([[True, True, False]])
    right = head.encode(targets) * 4.0
    wrong = head.encode(torch.tensor([[5, 9, 40]])) * 4.0
    loss_right, loss_wrong = (sum(head.loss(x, targets, valid).values()) for x in (right, wrong))
    assert torch.isfinite(loss_right) and float(loss_right) < float(loss_wrong)
    # the invalid (padding) position does not count
    wrong[0, 2] = -wrong[0, 2]
    assert torch.allclose(sum(head.loss(wrong, targets, valid).values()), loss_wrong)
    with pytest.raises(ValueError, match='loss must be'):
        HammingClassifier(in_channels=8, dictionary=latin_dictionary, loss='mse')

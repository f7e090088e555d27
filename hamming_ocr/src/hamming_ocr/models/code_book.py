"""LSH code book: one fixed K-bit binary code per dictionary entry.

The paper encodes every character with locality-sensitive hashing (LSH) but does not publish the
hash input or the code length. Our choice (documented in the README): SimHash, i.e. the signs of K
random-hyperplane projections of a per-character vector, with two choices of vector:

* ``source='random'``: a Gaussian vector per character. Codes are then (near) i.i.d. fair bits,
  which maximises the expected pairwise Hamming distance (K/2) and hence the error margin.
* ``source='glyph'``: the character's rendered glyph (a ``glyph_size``^2 bitmap, mean-centred over
  the vocabulary). Characters that look alike get codes that are close in Hamming distance, which
  is what "locality-sensitive" buys: shared bits between similar shapes.

Special tokens (``<BOS/EOS>``, ``<PAD>``, ``<UKN>``) have no glyph and always use random vectors.

Codes are guaranteed collision-free: a character whose hash is already taken moves to the nearest
free code (fewest flipped bits, lowest bit positions first), so its code stays as close as possible
to its hash. ``min_distance > 1`` additionally replaces the codes of characters that sit closer
than that to another code with fresh random codes, until the minimum holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from mmocr.registry import TASK_UTILS

# Rows of the (V, V) distance matrix computed at once when checking min_distance: 1024 x 20k
# float32 is 80 MB, small enough for CI machines.
_DISTANCE_CHUNK = 1024


def pairwise_min_distance(codes: torch.Tensor) -> torch.Tensor:
    """Hamming distance from every code to its nearest other code, shape (V,)."""
    signs = codes.float() * 2 - 1
    num_bits = codes.shape[1]
    nearest = torch.empty(codes.shape[0], dtype=torch.long)
    for start in range(0, codes.shape[0], _DISTANCE_CHUNK):
        block = signs[start:start + _DISTANCE_CHUNK]
        # agreement = K - 2 * hamming for +-1 codes
        distance = (num_bits - block @ signs.T) / 2
        rows = torch.arange(block.shape[0])
        distance[rows, rows + start] = float('inf')
        nearest[start:start + block.shape[0]] = distance.min(dim=1).values.long()
    return nearest


@TASK_UTILS.register_module()
class LSHCodeBook:
    """Builds SimHash codes for the entries of an mmocr ``Dictionary``.

    Args:
        code_bits: K, the code length in bits (paper symbol; unknown in the paper, 64 here).
        source: ``'random'`` or ``'glyph'``; which per-character vector is hashed.
        feature_dim: length of the random per-character vectors.
        seed: seeds both the vectors and the hyperplanes; same seed, same codes.
        min_distance: required minimum pairwise Hamming distance (1 = just unique).
        max_redraws: rounds of redrawing allowed to reach ``min_distance``.
        font: font file for ``source='glyph'`` (``'path'`` or ``'path:face_index'``).
        glyph_size: side of the glyph bitmap for ``source='glyph'``.
    """

    def __init__(self,
                 code_bits: int = 64,
                 source: str = 'random',
                 feature_dim: int = 256,
                 seed: int = 0,
                 min_distance: int = 1,
                 max_redraws: int = 50,
                 font: str | None = None,
                 glyph_size: int = 24) -> None:
        if source not in ('random', 'glyph'):
            raise ValueError(f"LSHCodeBook.source must be 'random' or 'glyph', got {source!r}")
        if source == 'glyph' and font is None:
            raise ValueError("LSHCodeBook(source='glyph') needs font='path[:face_index]'")
        if code_bits < 1 or min_distance < 1:
            raise ValueError(f'code_bits and min_distance must be >= 1, got {code_bits}, '
                             f'{min_distance}')
        self.code_bits = code_bits
        self.source = source
        self.feature_dim = feature_dim
        self.seed = seed
        self.min_distance = min_distance
        self.max_redraws = max_redraws
        self.font = font
        self.glyph_size = glyph_size

    def __call__(self, chars: Sequence[str]) -> torch.Tensor:
        """Return a bool tensor (V, K): the code of ``chars[i]`` is row i."""
        num_codes = len(chars)
        if num_codes > 2**self.code_bits:
            raise ValueError(f'{num_codes} dictionary entries cannot get unique '
                             f'{self.code_bits}-bit codes (2^{self.code_bits} < {num_codes}); '
                             'raise code_bits')
        rng = np.random.default_rng(self.seed)
        features = self._features(chars, rng)
        hyperplanes = rng.standard_normal((features.shape[1], self.code_bits))
        codes = features @ hyperplanes > 0
        codes = self._resolve_collisions(codes)
        if self.min_distance == 1:  # uniqueness is guaranteed by _resolve_collisions
            return torch.from_numpy(codes)
        for _ in range(self.max_redraws):
            too_close = pairwise_min_distance(torch.from_numpy(codes)) < self.min_distance
            if not too_close.any():
                return torch.from_numpy(codes)
            # closeness is symmetric, so >= 2 entries are flagged: keep the first, redraw the rest
            redraw = np.flatnonzero(too_close.numpy())[1:]
            codes[redraw] = rng.standard_normal((len(redraw), self.code_bits)) > 0
            codes = self._resolve_collisions(codes)
        raise ValueError(f'could not reach min_distance={self.min_distance} for {num_codes} '
                         f'{self.code_bits}-bit codes in {self.max_redraws} redraws; raise '
                         'code_bits or lower min_distance')

    def _features(self, chars: Sequence[str], rng: np.random.Generator) -> np.ndarray:
        random_features = rng.standard_normal((len(chars), self.feature_dim))
        if self.source == 'random':
            return random_features
        from hamming_ocr.datasets.fonts import render_glyphs
        glyphs = render_glyphs(chars, self.font, self.glyph_size)  # (V, S*S), None rows: no glyph
        has_glyph = np.array([g is not None for g in glyphs])
        dim = self.glyph_size**2
        features = np.zeros((len(chars), dim))
        if has_glyph.any():
            stacked = np.stack([g for g in glyphs if g is not None])
            stacked = stacked - stacked.mean(axis=0, keepdims=True)
            norms = np.linalg.norm(stacked, axis=1, keepdims=True)
            features[has_glyph] = stacked / np.maximum(norms, 1e-8)
        # glyph-less entries (special tokens) get unit-norm random vectors of the same width
        fill = rng.standard_normal(((~has_glyph).sum(), dim))
        features[~has_glyph] = fill / np.linalg.norm(fill, axis=1, keepdims=True)
        return features

    def _resolve_collisions(self, codes: np.ndarray) -> np.ndarray:
        """Move every repeated code to the nearest unused code (deterministic)."""
        taken: set[bytes] = set()
        for row in range(codes.shape[0]):
            key = codes[row].tobytes()
            if key not in taken:
                taken.add(key)
                continue
            codes[row] = self._nearest_free(codes[row], taken)
            taken.add(codes[row].tobytes())
        return codes

    def _nearest_free(self, code: np.ndarray, taken: set[bytes]) -> np.ndarray:
        for flips in range(1, self.code_bits + 1):
            for positions in itertools.combinations(range(self.code_bits), flips):
                candidate = code.copy()
                candidate[list(positions)] ^= True
                if candidate.tobytes() not in taken:
                    return candidate
        raise AssertionError('unreachable: the size check guarantees a free code')

"""Deterministic word/line image renderer writing mmocr's JSON text-recognition format.

For every sample a generator seeded with (seed, split, index) draws the text, font, size, colours,
background, rotation, blur and noise, so the output depends only on the spec (and the installed
font files), not on rendering order. Layout of ``root``::

    textrecog_train.json, textrecog_test.json     {"metainfo": {...}, "data_list": [...]}
    textrecog_imgs/{train,test}/000000.png ...    img_path in the JSON is relative to root

Rendering goes to a temporary sibling folder that is renamed into place, so concurrent callers
(e.g. several distributed ranks) never see a half-written dataset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .fonts import font_coverage, load_font, resolve_fonts, split_spec

SPLITS = ('train', 'test')
_SPLIT_IDS = {'train': 0, 'test': 1}
_CASE_STYLES = ('keep', 'lower', 'upper', 'title')


def read_charset(dict_file: str | os.PathLike) -> list[str]:
    """Characters of an mmocr dictionary file (one per line, empty lines skipped)."""
    chars = []
    with open(dict_file, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            char = line.rstrip('\r\n')
            if len(char) > 1:
                raise ValueError(f'{dict_file}:{line_no}: expected 0 or 1 character, got '
                                 f'{char!r}')
            if char:
                chars.append(char)
    return chars


@dataclasses.dataclass(frozen=True)
class RenderSpec:
    """Everything that determines a rendered dataset.

    Args:
        dict_file: dictionary whose characters texts are drawn from.
        fonts: font-set names (``'latin'``, ``'cjk'``) and/or font specs ``path[:face]``.
        num_train, num_test: images per split.
        seed: base seed.
        min_len, max_len: text length range (characters, inclusive).
        text_charset_size: draw texts from a seeded subset of this many dictionary characters
            (None: all); lets a short CPU run see every character of a 20k dictionary's subset
            several times while the classifier still decides among all V entries.
        char_weights: sampling weight per Unicode major category (L letter, N number, P
            punctuation, S symbol), spread evenly over the characters of that category.
        case_styles: probabilities of keeping / lower-casing / upper-casing / title-casing a text.
        font_size: (min, max) font size in pixels.
        max_rotation: degrees, uniform in [-max, max].
        max_blur: Gaussian blur radius, uniform in [0, max] on half of the images.
        max_noise: std of additive Gaussian pixel noise, uniform in [0, max].
        min_contrast: minimum luminance difference between text and background mean.
    """

    dict_file: str
    fonts: tuple[str, ...] = ('latin',)
    num_train: int = 8000
    num_test: int = 500
    seed: int = 0
    min_len: int = 3
    max_len: int = 8
    text_charset_size: int | None = None
    char_weights: tuple[tuple[str, float], ...] = (('L', 8.0), ('N', 2.0), ('P', 1.0),
                                                    ('S', 1.0))
    case_styles: tuple[float, float, float, float] = (0.4, 0.3, 0.15, 0.15)
    font_size: tuple[int, int] = (20, 36)
    max_rotation: float = 4.0
    max_blur: float = 1.0
    max_noise: float = 10.0
    min_contrast: float = 90.0

    @classmethod
    def from_cfg(cls, cfg: dict) -> RenderSpec:
        unknown = set(cfg) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f'unknown render option(s) {sorted(unknown)}')
        cfg = dict(cfg)
        for key in ('fonts', 'font_size', 'case_styles'):
            if key in cfg:
                cfg[key] = tuple([cfg[key]] if isinstance(cfg[key], str) else cfg[key])
        if 'char_weights' in cfg:
            cfg['char_weights'] = tuple(sorted(dict(cfg['char_weights']).items()))
        cfg['dict_file'] = str(cfg['dict_file'])
        return cls(**cfg)

    def fingerprint(self, font_specs: Sequence[str]) -> str:
        """Hash of the spec, the charset content and the font files used."""
        payload = dataclasses.asdict(self)
        payload['dict_file'] = hashlib.sha256(Path(self.dict_file).read_bytes()).hexdigest()
        payload['fonts'] = [f'{Path(s).name}:{os.path.getsize(split_spec(s)[0])}'
                            for s in font_specs]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class TextImageRenderer:
    """Renders (text, image) samples for a ``RenderSpec``."""

    def __init__(self, spec: RenderSpec) -> None:
        self.spec = spec
        self.font_specs = resolve_fonts(spec.fonts)
        charset = read_charset(spec.dict_file)
        if spec.text_charset_size is not None and spec.text_charset_size < len(charset):
            pick = np.random.default_rng([spec.seed, 99]).choice(
                len(charset), spec.text_charset_size, replace=False)
            charset = [charset[i] for i in sorted(pick)]
        # only characters that at least one font can draw; a text is drawn with a font covering
        # all of its characters
        coverage = [font_coverage(s) for s in self.font_specs]
        missing = [c for c in charset if not any(ord(c) in cov for cov in coverage)]
        if missing:
            raise ValueError(f'{len(missing)} characters of {spec.dict_file} are not covered by '
                             f'fonts {self.font_specs}, e.g. {missing[:10]}')
        self.charset = charset
        self.coverage = coverage
        weights = dict(spec.char_weights)
        categories = [unicodedata.category(c)[0] for c in charset]
        counts = {cat: categories.count(cat) for cat in set(categories)}
        probs = np.array([weights.get(cat, 1.0) / counts[cat] for cat in categories])
        self.char_probs = probs / probs.sum()

    def sample_text(self, rng: np.random.Generator) -> str:
        length = int(rng.integers(self.spec.min_len, self.spec.max_len + 1))
        text = ''.join(self.charset[i] for i in rng.choice(len(self.charset), length,
                                                           p=self.char_probs))
        style = _CASE_STYLES[int(rng.choice(4, p=self.spec.case_styles))]
        if style != 'keep':
            cased = getattr(text, style)()
            # only keep the case change when it stays inside the charset and the same length
            if len(cased) == len(text) and all(c in self.charset for c in cased):
                text = cased
        return text

    def render(self, split: str, index: int) -> tuple[str, Image.Image]:
        spec = self.spec
        rng = np.random.default_rng([spec.seed, _SPLIT_IDS[split], index])
        text = self.sample_text(rng)
        usable = [s for s, cov in zip(self.font_specs, self.coverage, strict=True)
                  if all(ord(c) in cov for c in text)]
        font = load_font(usable[int(rng.integers(len(usable)))],
                         int(rng.integers(spec.font_size[0], spec.font_size[1] + 1)))

        left, top, right, bottom = font.getbbox(text)
        margin = rng.integers(2, 9, size=4)
        mask = Image.new('L', (right - left + margin[0] + margin[1],
                               bottom - top + margin[2] + margin[3]), 0)
        ImageDraw.Draw(mask).text((margin[0] - left, margin[2] - top), text, fill=255, font=font)
        angle = float(rng.uniform(-spec.max_rotation, spec.max_rotation))
        mask = mask.rotate(angle, resample=Image.BICUBIC, expand=True)

        background = self._background(rng, mask.size)
        bg_luma = float(np.asarray(background.convert('L')).mean())
        color = self._text_color(rng, bg_luma)
        image = Image.composite(Image.new('RGB', mask.size, color), background, mask)

        if rng.random() < 0.5:
            image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, spec.max_blur))))
        pixels = np.asarray(image, dtype=np.float32)
        pixels = pixels + rng.normal(0, rng.uniform(0, spec.max_noise), pixels.shape)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        return text, image

    @staticmethod
    def _background(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
        width, height = size
        kind = rng.choice(3)
        base = rng.integers(0, 256, size=3)
        if kind == 0:  # flat colour
            pixels = np.broadcast_to(base, (height, width, 3)).astype(np.float32)
        elif kind == 1:  # horizontal or vertical gradient between two colours
            other = rng.integers(0, 256, size=3)
            ramp = np.linspace(0, 1, width if rng.random() < 0.5 else height, dtype=np.float32)
            ramp = ramp[None, :, None] if ramp.size == width else ramp[:, None, None]
            pixels = base + (other - base) * np.broadcast_to(ramp, (height, width, 1))
        else:  # smooth blotches: coarse random grid upsampled bicubically
            coarse = rng.normal(0, 40, size=(max(2, height // 8), max(2, width // 8), 3))
            blotch = Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8))
            blotch = np.asarray(blotch.resize((width, height), Image.BICUBIC), np.float32) - 128
            pixels = base + blotch
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), 'RGB')

    def _text_color(self, rng: np.random.Generator, bg_luma: float) -> tuple[int, int, int]:
        for _ in range(20):
            color = rng.integers(0, 256, size=3)
            luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
            if abs(luma - bg_luma) >= self.spec.min_contrast:
                return tuple(int(c) for c in color)
        return (0, 0, 0) if bg_luma > 127 else (255, 255, 255)


def ann_file_name(split: str) -> str:
    return f'textrecog_{split}.json'


def render_dataset(spec: RenderSpec, root: str | os.PathLike) -> dict:
    """Render both splits of ``spec`` into ``root`` unless an identical rendering is there.

    Returns the dataset metainfo (also stored in each annotation file).
    """
    root = Path(root)
    renderer = TextImageRenderer(spec)
    fingerprint = spec.fingerprint(renderer.font_specs)
    metainfo = dict(dataset_type='TextRecogDataset', task_name='textrecog',
                    renderer=dict(fingerprint=fingerprint, seed=spec.seed,
                                  fonts=[Path(s).name for s in renderer.font_specs]))
    if _existing_fingerprint(root) == fingerprint:
        return metainfo

    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{root.name}-', dir=root.parent))
    try:
        for split in SPLITS:
            image_dir = staging / 'textrecog_imgs' / split
            image_dir.mkdir(parents=True)
            data_list = []
            for index in range(spec.num_train if split == 'train' else spec.num_test):
                text, image = renderer.render(split, index)
                rel_path = f'textrecog_imgs/{split}/{index:06d}.png'
                image.save(staging / rel_path)
                data_list.append(dict(img_path=rel_path, instances=[dict(text=text)]))
            with open(staging / ann_file_name(split), 'w', encoding='utf-8') as f:
                json.dump(dict(metainfo=metainfo, data_list=data_list), f, ensure_ascii=False)
        _swap_into_place(staging, root, fingerprint)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return metainfo


def _existing_fingerprint(root: Path) -> str | None:
    try:
        with open(root / ann_file_name('test'), encoding='utf-8') as f:
            return json.load(f)['metainfo']['renderer']['fingerprint']
    except (OSError, KeyError, ValueError):
        return None


def _swap_into_place(staging: Path, root: Path, fingerprint: str) -> None:
    if root.exists():
        if _existing_fingerprint(root) == fingerprint:  # another process finished first
            return
        stale = root.with_name(f'.{root.name}-stale-{os.getpid()}')
        os.replace(root, stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.replace(staging, root)
    except OSError:
        if _existing_fingerprint(root) != fingerprint:
            raise

"""Real fonts from Debian packages: discovery, face selection, glyph coverage.

Font sets (file name, face) and the apt package that provides them:

* ``latin``: DejaVu Sans / Serif / Sans Mono, regular and bold -- ``fonts-dejavu-core``.
* ``cjk``: Noto Sans CJK and Noto Serif CJK, regular and bold, Simplified-Chinese faces --
  ``fonts-noto-cjk``; WenQuanYi Zen Hei -- ``fonts-wqy-zenhei``.

A font is referred to by a spec string ``'path'`` or ``'path:face_index'`` (for .ttc collections).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ('/usr/share/fonts', '/usr/local/share/fonts', '~/.local/share/fonts', '~/.fonts')

# (file name, face selector, apt package); a str selector picks the face whose family name ends
# with it (the Noto CJK collections hold JP/KR/SC/TC/HK faces), an int is a face index.
FONT_SETS: dict[str, tuple[tuple[str, str | int, str], ...]] = {
    'latin': (
        ('DejaVuSans.ttf', 0, 'fonts-dejavu-core'),
        ('DejaVuSans-Bold.ttf', 0, 'fonts-dejavu-core'),
        ('DejaVuSerif.ttf', 0, 'fonts-dejavu-core'),
        ('DejaVuSerif-Bold.ttf', 0, 'fonts-dejavu-core'),
        ('DejaVuSansMono.ttf', 0, 'fonts-dejavu-core'),
        ('DejaVuSansMono-Bold.ttf', 0, 'fonts-dejavu-core'),
    ),
    'cjk': (
        ('NotoSansCJK-Regular.ttc', ' SC', 'fonts-noto-cjk'),
        ('NotoSansCJK-Bold.ttc', ' SC', 'fonts-noto-cjk'),
        ('NotoSerifCJK-Regular.ttc', ' SC', 'fonts-noto-cjk'),
        ('NotoSerifCJK-Bold.ttc', ' SC', 'fonts-noto-cjk'),
        ('wqy-zenhei.ttc', 0, 'fonts-wqy-zenhei'),
    ),
}


def _find_file(name: str) -> Path | None:
    for root in FONT_DIRS:
        root_path = Path(os.path.expanduser(root))
        if root_path.is_dir():
            hit = next(iter(sorted(root_path.rglob(name))), None)
            if hit is not None:
                return hit
    return None


def _face_index(path: Path, selector: str | int) -> int:
    if isinstance(selector, int):
        return selector
    for index in range(32):
        try:
            family = ImageFont.truetype(str(path), size=12, index=index).getname()[0]
        except OSError:
            break
        if family.endswith(selector):
            return index
    raise ValueError(f'{path} has no face whose family name ends with {selector!r}')


@functools.cache
def resolve_font_set(name: str) -> tuple[str, ...]:
    """Font specs of a named set; raises with the apt package to install when a file is missing."""
    if name not in FONT_SETS:
        raise KeyError(f'unknown font set {name!r}; known: {sorted(FONT_SETS)}')
    specs = []
    for file_name, selector, package in FONT_SETS[name]:
        path = _find_file(file_name)
        if path is None:
            raise FileNotFoundError(
                f'font {file_name} (font set {name!r}) not found under {FONT_DIRS}; '
                f'install it with `apt-get install -y {package}`')
        specs.append(f'{path}:{_face_index(path, selector)}')
    return tuple(specs)


def resolve_fonts(fonts: str | Sequence[str]) -> tuple[str, ...]:
    """Accept a font-set name, or a list of specs/set names; return font specs."""
    items = [fonts] if isinstance(fonts, str) else list(fonts)
    specs: list[str] = []
    for item in items:
        specs.extend(resolve_font_set(item) if item in FONT_SETS else [item])
    return tuple(specs)


def split_spec(spec: str) -> tuple[str, int]:
    path, sep, index = spec.rpartition(':')
    if sep and index.isdigit():
        return path, int(index)
    return spec, 0


@functools.lru_cache(maxsize=64)
def load_font(spec: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = split_spec(spec)
    return ImageFont.truetype(path, size=size, index=index)


@functools.cache
def font_coverage(spec: str) -> frozenset[int]:
    """Code points the font maps to a glyph (its cmap)."""
    from fontTools.ttLib import TTFont

    path, index = split_spec(spec)
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap())


def render_glyphs(chars: Sequence[str], font: str, size: int) -> list[np.ndarray | None]:
    """One centred ``size`` x ``size`` glyph bitmap (flattened, in [0, 1]) per character.

    Multi-character entries (mmocr's special tokens) and characters the font does not cover give
    ``None``.
    """
    spec = resolve_fonts(font)[0]
    covered = font_coverage(spec)
    pil_font = load_font(spec, int(size * 0.8))
    glyphs: list[np.ndarray | None] = []
    for char in chars:
        if len(char) != 1 or ord(char) not in covered:
            glyphs.append(None)
            continue
        canvas = Image.new('L', (size, size), 0)
        ImageDraw.Draw(canvas).text((size / 2, size / 2), char, fill=255, font=pil_font,
                                    anchor='mm')
        glyphs.append(np.asarray(canvas, dtype=np.float64).reshape(-1) / 255.0)
    return glyphs

"""Embedded rendered datasets, label-checked dataset loading and font helpers."""

from .fonts import FONT_SETS, font_coverage, render_glyphs, resolve_font_set, resolve_fonts
from .ocr_datasets import CheckedOCRDataset, SynthTextRecogDataset
from .render import RenderSpec, TextImageRenderer, read_charset, render_dataset

__all__ = [
    'FONT_SETS', 'CheckedOCRDataset', 'RenderSpec', 'SynthTextRecogDataset', 'TextImageRenderer',
    'font_coverage', 'read_charset', 'render_dataset', 'render_glyphs', 'resolve_font_set',
    'resolve_fonts',
]

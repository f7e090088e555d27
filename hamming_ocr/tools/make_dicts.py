"""Write the dictionaries under dicts/ (committed; rerun only to change them).

* latin90.txt       digits, a-z, A-Z and 28 ASCII symbols: the 90 characters of mmocr's
                    english_digits_symbols.txt, in its order.
* cjk_gb2312.txt    the 6,763 hanzi of GB 2312 (level 1 then level 2, GB 2312 order).
* cjk_20000.txt     those 6,763 followed by the remaining CJK Unified Ideographs (U+4E00-U+9FA5,
                    code point order) until 20,000, keeping only characters every font of the
                    'cjk' font set covers.

All CJK entries lie in U+4E00-U+9FA5, the range mmocr's WordMetric/CharMetric keep.

usage: python tools/make_dicts.py
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path

from hamming_ocr.datasets import font_coverage, resolve_font_set

DICT_DIR = Path(__file__).resolve().parent.parent / 'dicts'
LATIN_SYMBOLS = '!"#$%&\'()*+,-./:;<=>?@[\\]_`~'
CJK_SIZE = 20000


def gb2312_hanzi() -> list[str]:
    chars = []
    for high in range(0xB0, 0xF8):  # rows 16-87 hold the hanzi
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode('gb2312'))
            except UnicodeDecodeError:
                continue
    return chars


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split('\n')[0]).parse_args()
    latin = list(string.digits + string.ascii_lowercase + string.ascii_uppercase + LATIN_SYMBOLS)
    coverage = [font_coverage(spec) for spec in resolve_font_set('cjk')]

    def covered(char: str) -> bool:
        return all(ord(char) in cov for cov in coverage)

    gb2312 = [c for c in gb2312_hanzi() if covered(c)]
    seen = set(gb2312)
    extended = list(gb2312)
    for code_point in range(0x4E00, 0x9FA6):
        char = chr(code_point)
        if len(extended) == CJK_SIZE:
            break
        if char not in seen and covered(char):
            extended.append(char)
    for name, chars in (('latin90.txt', latin), ('cjk_gb2312.txt', gb2312),
                        ('cjk_20000.txt', extended)):
        (DICT_DIR / name).write_text(''.join(c + '\n' for c in chars), encoding='utf-8')
        print(f'{name}: {len(chars)} characters')


if __name__ == '__main__':
    main()

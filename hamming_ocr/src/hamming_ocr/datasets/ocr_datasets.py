"""mmocr ``OCRDataset`` with label validation, and the embedded rendered dataset."""

from __future__ import annotations

from mmengine.logging import print_log
from mmocr.datasets import OCRDataset
from mmocr.registry import DATASETS

from .render import RenderSpec, read_charset, render_dataset


@DATASETS.register_module()
class CheckedOCRDataset(OCRDataset):
    """``OCRDataset`` that checks every label against the model's dictionary.

    A sample is invalid when it has no text instance, an empty text, or a character outside
    ``dict_file``. ``invalid='error'`` raises naming the annotation file, the sample index, its
    image and the offending characters; ``invalid='skip'`` drops such samples, logs how many and
    keeps the count in ``num_skipped``.

    Args:
        dict_file: the dictionary the model decodes into (mmocr format, one char per line).
        invalid: ``'error'`` or ``'skip'``.
        **kwargs: ``OCRDataset`` arguments.
    """

    def __init__(self, *args, dict_file: str, invalid: str = 'error', **kwargs) -> None:
        if invalid not in ('error', 'skip'):
            raise ValueError(f"invalid must be 'error' or 'skip', got {invalid!r}")
        self.charset = frozenset(read_charset(dict_file))
        self.dict_file = dict_file
        self.invalid = invalid
        self.num_skipped = 0
        super().__init__(*args, **kwargs)

    def filter_data(self) -> list[dict]:
        kept = []
        for index, info in enumerate(super().filter_data()):
            problem = self._label_problem(info)
            if problem is None:
                kept.append(info)
            elif self.invalid == 'skip':
                self.num_skipped += 1
            else:
                raise ValueError(f'{self.ann_file}: data_list[{index}] (img_path '
                                 f"{info.get('img_path')!r}): {problem}; fix the label, extend "
                                 f"{self.dict_file}, or set invalid='skip'")
        if self.num_skipped:
            print_log(f'{self.ann_file}: skipped {self.num_skipped} samples with empty labels or '
                      f'characters outside {self.dict_file}', logger='current')
        return kept

    def _label_problem(self, info: dict) -> str | None:
        instances = info.get('instances') or []
        if not instances or 'text' not in instances[0]:
            return "field 'instances[0].text' is missing"
        text = instances[0]['text']
        if not isinstance(text, str) or text == '':
            return f"field 'instances[0].text' is empty or not a string ({text!r})"
        unknown = sorted({c for c in text if c not in self.charset})
        if unknown:
            return (f"field 'instances[0].text' = {text!r} has characters outside the "
                    f'dictionary: {unknown}')
        return None


@DATASETS.register_module()
class SynthTextRecogDataset(CheckedOCRDataset):
    """The embedded default dataset: rendered on first use into ``data_root``, then read back as
    an ordinary mmocr JSON text-recognition dataset.

    Args:
        render: ``RenderSpec`` options (``dict_file`` defaults to this dataset's ``dict_file``).
        **kwargs: ``CheckedOCRDataset`` arguments (``data_root`` and ``ann_file`` required).
    """

    def __init__(self, *args, render: dict, **kwargs) -> None:
        spec = RenderSpec.from_cfg(dict(dict(dict_file=kwargs['dict_file']), **render))
        render_dataset(spec, kwargs['data_root'])
        super().__init__(*args, **kwargs)

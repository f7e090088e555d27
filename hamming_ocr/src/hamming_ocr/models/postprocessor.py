"""Turn greedy-decoded token indexes into strings (mmocr ``pred_text``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from mmengine.structures import LabelData
from mmocr.models.textrecog.postprocessors.base import BaseTextRecogPostprocessor
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample


@MODELS.register_module()
class TokenIndexPostprocessor(BaseTextRecogPostprocessor):
    """Like mmocr's ``AttentionPostprocessor`` but fed (indexes, scores) instead of (N, T, V)
    probabilities, so that no V-wide tensor is materialised for large vocabularies."""

    def __call__(self, outputs: tuple[torch.Tensor, torch.Tensor],
                 data_samples: Sequence[TextRecogDataSample]) -> Sequence[TextRecogDataSample]:
        indexes, scores = (t.detach().cpu().tolist() for t in outputs)
        for sample, sample_indexes, sample_scores in zip(data_samples, indexes, scores,
                                                         strict=True):
            kept, kept_scores = [], []
            for index, score in zip(sample_indexes, sample_scores, strict=True):
                if index == self.dictionary.end_idx:
                    break
                if index in self.ignore_indexes:
                    continue
                kept.append(index)
                kept_scores.append(score)
            pred_text = LabelData()
            pred_text.item = self.dictionary.idx2str(kept)
            pred_text.score = kept_scores
            sample.pred_text = pred_text
        return data_samples

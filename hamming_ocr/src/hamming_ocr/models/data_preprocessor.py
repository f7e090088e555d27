"""Text-recognition data preprocessor that hands the backbone channels-last batches."""

import torch
from mmocr.models.textrecog.data_preprocessors import TextRecogDataPreprocessor
from mmocr.registry import MODELS


@MODELS.register_module()
class ChannelsLastTextRecogDataPreprocessor(TextRecogDataPreprocessor):
    """mmocr's ``TextRecogDataPreprocessor``, returning the image batch in channels-last layout.

    oneDNN's CPU convolutions (forward and, above all, backward) ran 2-3x faster on channels-last
    inputs for our small backbones on 2 cores; CUDA/cuDNN handles the layout as well. Values are
    unchanged.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        data['inputs'] = data['inputs'].contiguous(memory_format=torch.channels_last)
        return data

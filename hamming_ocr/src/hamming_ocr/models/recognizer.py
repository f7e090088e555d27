"""The Hamming OCR recogniser: MASTER's encoder-decoder pipeline with the Hamming decoder."""

from mmocr.models.textrecog.recognizers.master import MASTER
from mmocr.registry import MODELS


@MODELS.register_module()
class HammingOCR(MASTER):
    """Backbone -> (no encoder) -> ``HammingMasterDecoder``; the image pipeline is MASTER's.

    A named type so that configs and checkpoints say which model they hold; the behaviour lives
    in the decoder.
    """

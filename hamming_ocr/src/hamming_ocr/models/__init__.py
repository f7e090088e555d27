"""Registered model components (mmocr ``MODELS`` / ``TASK_UTILS`` registries)."""

from .classifiers import HammingClassifier, SoftmaxClassifier
from .code_book import LSHCodeBook, pairwise_min_distance
from .data_preprocessor import ChannelsLastTextRecogDataPreprocessor
from .decoder import HammingMasterDecoder
from .embeddings import CodeEmbedding, LookupEmbedding
from .module_loss import ClassifierModuleLoss
from .postprocessor import TokenIndexPostprocessor
from .recognizer import HammingOCR

__all__ = [
    'ChannelsLastTextRecogDataPreprocessor', 'ClassifierModuleLoss', 'CodeEmbedding',
    'HammingClassifier', 'HammingMasterDecoder',
    'HammingOCR', 'LSHCodeBook', 'LookupEmbedding', 'SoftmaxClassifier',
    'TokenIndexPostprocessor', 'pairwise_min_distance',
]

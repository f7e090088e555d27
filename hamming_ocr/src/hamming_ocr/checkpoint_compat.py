"""Let mmengine 0.10.7 load its own checkpoints under torch >= 2.6.

mmengine calls ``torch.load`` without ``weights_only``; since torch 2.6 that means
``weights_only=True``, whose unpickler rejects every global that is not allow-listed. Besides
tensors, an mmengine checkpoint pickles the message hub: ``HistoryBuffer``s holding numpy float64 /
int64 arrays, numpy scalars, and the buffers' statistics methods, stored as
``getattr(HistoryBuffer, 'min')`` etc. We allow-list exactly those globals -- found by listing
the GLOBAL opcodes of a real training checkpoint and loading it with ``weights_only=True`` with
each one left out in turn (``tests/test_train_resume.py`` checks a fresh checkpoint loads) --
instead of turning the safety check off.
"""

from __future__ import annotations

import builtins

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

SAFE_GLOBALS = [
    HistoryBuffer,
    builtins.getattr,  # HistoryBuffer statistics methods are pickled as getattr(cls, name)
    np.core.multiarray._reconstruct,
    np.core.multiarray.scalar,
    np.ndarray,
    np.dtype,
    type(np.dtype(np.float64)),  # numpy.dtypes.Float64DType
    type(np.dtype(np.int64)),  # numpy.dtypes.Int64DType
]

torch.serialization.add_safe_globals(SAFE_GLOBALS)

"""Allow-list the globals of an mmengine checkpoint for torch's ``weights_only`` loading.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``; since torch 2.6 that means
``weights_only=True``, and resuming fails with "Unsupported global". Rather than switching the
safe unpickler off, this module allows exactly what an mmengine checkpoint contains (found by
saving a real checkpoint and loading it with ``weights_only=True`` until it succeeded):

* ``mmengine.logging.HistoryBuffer`` (the message hub's log buffers),
* numpy arrays and scalars inside them: ``ndarray``, ``_reconstruct``, ``scalar``, ``dtype``
  and the concrete numeric dtype classes,
* ``builtins.getattr``, used by pickle to reference ``HistoryBuffer.min`` & co. It is *not*
  allowed as such -- a free ``getattr`` lets a crafted file reach any class through
  ``__subclasses__`` -- but mapped to a stand-in that only resolves HistoryBuffer's
  statistics methods.
"""

from __future__ import annotations

import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_multiarray = np.core.multiarray
NUMERIC_DTYPES = [getattr(np.dtypes, f"{kind}DType") for kind in (
    "Bool", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
    "Float16", "Float32", "Float64")]


# HistoryBuffer's built-in statistics; the class registry fills only once a buffer is created
DEFAULT_STATISTICS = ("min", "max", "current", "mean")


def history_buffer_attribute(owner: object, name: str) -> object:
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    allowed = set(DEFAULT_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if not (owner is HistoryBuffer and name in allowed):
        raise pickle.UnpicklingError(
            f"checkpoint asks for getattr({owner!r}, {name!r}); only "
            "HistoryBuffer statistics methods are allowed")
    return getattr(owner, name)


MMENGINE_CHECKPOINT_GLOBALS = [
    HistoryBuffer,
    np.ndarray,
    np.dtype,
    _multiarray._reconstruct,
    _multiarray.scalar,
    *NUMERIC_DTYPES,
    (history_buffer_attribute, "builtins.getattr"),
]

torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)

"""Zero-shot classification and image<->text retrieval of a checkpoint.

    python tools/eval.py                                     # latest checkpoint of the quick run
    python tools/eval.py --config CONFIG --checkpoint work_dirs/<name>/checkpoints/epoch_10.pt
"""

from __future__ import annotations

import sys
from pathlib import Path

from disco_clip.trainer import evaluate_main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "configs" / "quick" / "disco_vit-tiny_2xb64-8e_shapes.yaml"

if __name__ == "__main__":
    metrics = evaluate_main(sys.argv[1:], default_config=str(DEFAULT_CONFIG))
    if metrics:
        print("eval " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))

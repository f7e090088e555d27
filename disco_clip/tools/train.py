"""Train a CLIP model with the DisCo-CLIP loss.

    python tools/train.py                                   # quick config, embedded data, 1 proc
    torchrun --nproc_per_node 2 tools/train.py --launcher pytorch    # = make train-discoclip
    python tools/train.py --config configs/disco_vit-b-32_8xb4096-32e_laion400m.yaml \\
        --train-data '/data/laion/{00000..41455}.tar' --train-num-samples 400000000
"""

from __future__ import annotations

import sys
from pathlib import Path

from disco_clip.trainer import main

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "configs" / "quick" / "disco_vit-tiny_2xb64-8e_shapes.yaml"

if __name__ == "__main__":
    metrics = main(sys.argv[1:], default_config=str(DEFAULT_CONFIG))
    if metrics:
        print("final " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))

"""Convert an official DAB-DETR checkpoint (IDEA-Research/DAB-DETR) to this package's keys.

    python tools/convert_official_ckpt.py DAB_DETR_R50_DC5/checkpoint.pth dab-detr_r50-dc5.pth
    python tools/eval.py --config configs/dab-detr_r50-dc5_8xb2-50e_coco.py \
        --checkpoint dab-detr_r50-dc5.pth

The official file is read with weights_only=True plus an allow-list (argparse.Namespace); the
91-way COCO-id classifier becomes mmdet's 80 contiguous labels. Fixed-x,y checkpoints
(args.random_refpoints_xy) map to the configs in configs/ablations/*fixxy*.
"""

from __future__ import annotations

import argparse
import sys

from dab_detr.convert import convert_checkpoint


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", help="official checkpoint (.pth with 'model' and 'args')")
    parser.add_argument("dst", help="output checkpoint for tools/eval.py --checkpoint")
    args = parser.parse_args(argv)
    meta = convert_checkpoint(args.src, args.dst)
    print(f"wrote {args.dst}: num_patterns={meta['num_patterns']} "
          f"random_refpoints_xy={meta['random_refpoints_xy']} epoch={meta['epoch']}")
    return meta


if __name__ == "__main__":
    main(sys.argv[1:])

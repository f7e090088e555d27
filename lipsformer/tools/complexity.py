#!/usr/bin/env python
"""Print params and FLOPs (MACs) of every registered LipsFormer variant at 224x224, beside the
paper's numbers where the paper gives them.

    python tools/complexity.py [--models lipsformer_cswin_tiny ...] [--img-size 224]
"""

from __future__ import annotations

import argparse

import timm

import lipsformer  # noqa: F401  (registers the models)
from lipsformer.complexity import count_macs, count_params

# (params M, GFLOPs) as printed in the paper; None where the paper gives no number
PAPER = {
    "lipsformer_cswin_tiny": (24, 4.7),
    "swin_tiny_patch4_window7_224": (28, 4.5),  # Swin-T baseline, from the Swin README
}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--models",
        nargs="+",
        default=sorted(timm.list_models("lipsformer_*")) + ["swin_tiny_patch4_window7_224"],
    )
    p.add_argument("--img-size", type=int, default=224)
    args = p.parse_args(argv)
    rows = []
    print(f"{'model':32s} {'params (M)':>11s} {'paper':>6s} {'GFLOPs':>7s} {'paper':>6s}")
    for name in args.models:
        model = timm.create_model(name, num_classes=1000)
        params = count_params(model) / 1e6
        gflops = count_macs(model, (3, args.img_size, args.img_size)) / 1e9
        paper = PAPER.get(name, (None, None))
        fmt = lambda v, spec: "-" if v is None else format(v, spec)  # noqa: E731
        print(
            f"{name:32s} {params:11.2f} {fmt(paper[0], '6d'):>6s} {gflops:7.2f} "
            f"{fmt(paper[1], '6.1f'):>6s}"
        )
        rows.append(
            dict(
                model=name,
                params_m=params,
                gflops=gflops,
                paper_params_m=paper[0],
                paper_gflops=paper[1],
            )
        )
    return rows


if __name__ == "__main__":
    main()

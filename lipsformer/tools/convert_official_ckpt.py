#!/usr/bin/env python
"""Convert an official LipsFormer-Swin checkpoint to this package's timm model and verify it.

    python tools/convert_official_ckpt.py lipsformer-swin-tiny.pth lipsformer_swin_tiny_timm.pth

The official file is a Swin-codebase checkpoint ({'model': state_dict, ...}). It is loaded with
``weights_only=True``; a file that also pickles its yacs config cannot be loaded that way, and
only a file you trust should be opened with ``--trust-file`` (full unpickling). The converted
state dict is loaded strictly into the matching registered model before it is written, and can
then be used with ``timm.create_model(name, pretrained=True,
pretrained_cfg_overlay=dict(file=DST))`` or ``tools/eval.py --checkpoint DST``.
"""

from __future__ import annotations

import argparse
import sys

import timm
import torch

import lipsformer  # noqa: F401  (registers the models)
from lipsformer.convert import official_swin_arch, official_swin_to_timm

# registered variants by (embed_dim, depths, num_heads)
VARIANTS = {
    (96, (2, 2, 6, 2), (3, 6, 12, 24)): "lipsformer_swin_tiny",
    (96, (2, 2, 18, 2), (3, 6, 12, 24)): "lipsformer_swin_small",
    (128, (2, 2, 18, 2), (4, 8, 16, 32)): "lipsformer_swin_base",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("src", help="official checkpoint (.pth)")
    p.add_argument("dst", help="where to write the converted state dict")
    p.add_argument(
        "--trust-file",
        action="store_true",
        help="unpickle the source fully (only for files from a trusted source)",
    )
    args = p.parse_args(argv)
    try:
        checkpoint = torch.load(args.src, map_location="cpu", weights_only=not args.trust_file)
    except Exception as err:  # torch raises UnpicklingError subclasses and RuntimeErrors here
        print(
            f"cannot load {args.src} with weights_only=True ({err.__class__.__name__}: {err}).\n"
            f"If the file is from a trusted source, rerun with --trust-file.",
            file=sys.stderr,
        )
        return 2
    state = checkpoint.get("model", checkpoint)
    try:
        arch = official_swin_arch(state)
    except KeyError as err:
        print(f"{args.src}: {err}", file=sys.stderr)
        return 2
    name = VARIANTS.get(
        (arch["embed_dim"], arch["depths"], arch["num_heads"]), "lipsformer_swin_tiny"
    )
    kwargs = {k: v for k, v in arch.items() if k != "num_classes"}
    model = timm.create_model(name, num_classes=arch.get("num_classes", 0), **kwargs)
    converted = official_swin_to_timm(state)
    missing, unexpected = model.load_state_dict(converted, strict=False)
    if missing or unexpected:
        print(
            f"{args.src} does not match {name}{kwargs}: missing {missing[:8]}, unexpected "
            f"{unexpected[:8]}",
            file=sys.stderr,
        )
        return 1
    torch.save(converted, args.dst)
    print(
        f"{args.src} -> {args.dst}: {name} {kwargs}, {len(converted)} tensors, "
        f"{sum(v.numel() for v in converted.values()) / 1e6:.2f}M values"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line of the trainer, with YAML configs that set its defaults (timm's ``-c`` idiom).

A config file is a flat mapping from option names (``batch_size`` or ``batch-size``) to values;
an unknown key is an error, and options given on the command line override the file. Option
names follow ``open_clip_train`` where it has one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from .distributed import LAUNCHERS
from .loss import GRADIENT_SCALES

LOSSES = ("naive", "local", "disco", "tiled", "siglip")
PRECISIONS = ("auto", "fp32", "amp", "amp_bf16")


def build_parser(prog: str = "train.py") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="CLIP training with the DisCo-CLIP loss "
                                "(open_clip models, torchrun / SLURM).")
    p.add_argument("--config", type=str, default=None, help="YAML file of option defaults")
    p.add_argument("--launcher", choices=LAUNCHERS, default="none",
                   help="none: one process; pytorch: torchrun env; slurm: srun env")
    g = p.add_argument_group("model")
    g.add_argument("--model", default="disco-vit-tiny", help="any open_clip model config name")
    g.add_argument("--pretrained", default=None,
                   help="path of a checkpoint to start from (open_clip pretrained file or a "
                        "checkpoint written by this trainer); default: random init")
    g = p.add_argument_group("data")
    g.add_argument("--embedded-data", default=None,
                   help="folder for the embedded shapes dataset; generated on first use")
    g.add_argument("--embedded-train-samples", type=int, default=8192)
    g.add_argument("--dataset-type", choices=("auto", "csv", "webdataset"), default="auto")
    g.add_argument("--train-data", default=None, help="CSV file or tar shard pattern")
    g.add_argument("--train-num-samples", type=int, default=None,
                   help="webdataset: samples per epoch (default: count the shards)")
    g.add_argument("--val-data", default=None, help="CSV for retrieval (and zero-shot labels)")
    g.add_argument("--zeroshot-classes", default=None,
                   help='JSON {"classnames": [...], "templates": ["one {} in the top left.", ...]}')
    g.add_argument("--csv-separator", default=",")
    g.add_argument("--csv-img-key", default="filepath")
    g.add_argument("--csv-caption-key", default="caption")
    g.add_argument("--csv-label-key", default="label",
                   help="val CSV column holding the zero-shot class name")
    g.add_argument("--workers", type=int, default=2, help="data loader workers per process")
    g = p.add_argument_group("loss")
    g.add_argument("--loss", choices=LOSSES, default="disco",
                   help="naive: full BxB logits per rank (open_clip ClipLoss default); local: "
                        "open_clip ClipLoss(local_loss, gather_with_grad); disco: DisCoClipLoss; "
                        "tiled: DisCoClipLoss with ring tiles; siglip: DisCoSigLipLoss (the model "
                        "gets open_clip's SigLIP init: logit scale 10, logit bias -10)")
    g.add_argument("--disco-gradient-scale", choices=GRADIENT_SCALES, default="paper")
    g.add_argument("--tile-size", type=int, default=1024, help="tile edge for --loss tiled")
    g = p.add_argument_group("optimisation")
    g.add_argument("--batch-size", type=int, default=64, help="per process")
    g.add_argument("--epochs", type=int, default=10)
    g.add_argument("--lr", type=float, default=5e-4)
    g.add_argument("--wd", type=float, default=0.2)
    g.add_argument("--beta1", type=float, default=0.9)
    g.add_argument("--beta2", type=float, default=0.98)
    g.add_argument("--eps", type=float, default=1e-6)
    g.add_argument("--warmup", type=int, default=100, help="linear warm-up steps")
    g.add_argument("--lr-scheduler", choices=("cosine", "const"), default="cosine")
    g.add_argument("--grad-clip-norm", type=float, default=None)
    g.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="auto: amp (fp16) on CUDA, fp32 on CPU")
    g.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("logging and checkpoints")
    # Not open_clip's "--logs": torchrun's parser would take it for an abbreviation of its own
    # --logs-specs and refuse the command line.
    g.add_argument("--work-dir", default="work_dirs", help="root of the run folders")
    g.add_argument("--name", default=None, help="run name (default: the config file stem)")
    g.add_argument("--save-frequency", type=int, default=1, help="epochs between checkpoints")
    g.add_argument("--resume", default=None, help="checkpoint path, or 'latest'")
    g.add_argument("--val-frequency", type=int, default=1, help="epochs between evaluations")
    g.add_argument("--log-every-n-steps", type=int, default=20)
    g.add_argument("--report-to", choices=("tensorboard", "none"), default="tensorboard")
    g.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many optimizer steps in total (smoke runs)")
    return p


def _load_config(path: str, parser: argparse.ArgumentParser) -> dict:
    actions = {a.dest: a for a in parser._actions if a.dest not in ("help", "config")}
    raw = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"config {path} must be a mapping of option names to values")
    values = {}
    for key, value in raw.items():
        dest = str(key).replace("-", "_")
        if dest not in actions:
            raise ValueError(f"unknown key {key!r} in config {path}")
        choices = actions[dest].choices
        if choices is not None and value not in choices:
            raise ValueError(f"config {path}: {key}={value!r} is not one of {list(choices)}")
        values[dest] = value
    return values


def parse_args(argv: list[str] | None = None, default_config: str | None = None,
               parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Parse ``argv`` over the defaults in ``--config`` (or ``default_config``)."""
    parser = parser or build_parser()
    pre, _ = parser.parse_known_args(argv)
    config = pre.config or default_config
    if config is not None:
        parser.set_defaults(**_load_config(config, parser))
    args = parser.parse_args(argv)
    args.config = config
    if args.name is None:
        args.name = Path(config).stem if config else "run"
    return args

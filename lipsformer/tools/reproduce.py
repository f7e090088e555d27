#!/usr/bin/env python
"""The no-warmup stability claim at CPU scale.

A 12-block Swin baseline (pre-LN, LayerNorm, Xavier, dot-product attention, plain residuals,
shifted windows) and its LipsFormer counterpart (official-code defaults) are trained with the
same recipe and NO learning-rate warmup across a learning-rate sweep; then, at the largest LR,
LipsFormer with one component at a time swapped back to its standard counterpart, and the
baseline with a warmup as the control. Prints a table, writes it into README.md between the
reproduce markers, and saves docs/stability.json and docs/stability_loss.png.

    python tools/reproduce.py                      # the full experiment (~15 min on 2 cores)
    python tools/reproduce.py --lrs 1e-3 --ablations none --no-readme \
        --cfg-options schedule.epochs=1
"""

from __future__ import annotations

import argparse
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import timm
import torch

from lipsformer import STANDARD_COUNTERPARTS
from lipsformer.engine.config import PACKAGE_ROOT, load_config
from lipsformer.engine.trainer import load_checkpoint, train
from lipsformer.lipschitz import empirical_lipschitz, sample_images

CONFIG = PACKAGE_ROOT / "configs" / "quick" / "stability_swin12_1xb32-2e_shapes32.yaml"
BASELINE = dict(STANDARD_COUNTERPARTS, shift=True)
# one component at a time back to its standard counterpart (+ the paper's value normalisation)
ABLATIONS = {
    "LayerNorm (no CenterNorm)": dict(norm_layer="layer"),
    "Xavier init (no spectral init)": dict(weight_init="xavier"),
    "dot-product attn (no SCSA)": dict(attn_type="dot"),
    "plain residual (no alpha)": dict(residual="plain"),
    "no depthwise branches": dict(dwconv_branches=0),
    "paper SCSA (normalised v, nu=1)": dict(normalize_v=True, nu=1.0, qk_eps=1e-6),
}
BEGIN, END = "<!-- reproduce:begin -->", "<!-- reproduce:end -->"


@dataclass
class Run:
    name: str
    group: str  # sweep | ablation
    model: str  # baseline | lipsformer
    lr: float
    kwargs: dict = field(default_factory=dict)
    warmup_epochs: float = 0.0


def plan(lrs: list[float], ablations: list[str]) -> list[Run]:
    runs = []
    for lr in lrs:
        runs.append(Run(f"baseline lr={lr:g}", "sweep", "baseline", lr, BASELINE))
        runs.append(Run(f"LipsFormer lr={lr:g}", "sweep", "lipsformer", lr))
    top = max(lrs)
    for name in ablations:
        runs.append(Run(f"LipsFormer - {name}", "ablation", "lipsformer", top, ABLATIONS[name]))
    if ablations:
        runs.append(Run("baseline + 1 epoch warmup", "ablation", "baseline", top, BASELINE, 1.0))
    return runs


def _yaml(value) -> str:
    return json.dumps(value)  # JSON scalars are valid YAML flow values


def execute(run: Run, work_root: Path, extra: list[str]) -> dict:
    slug = re.sub(r"[^a-z0-9]+", "_", run.name.lower()).strip("_")
    overrides = [
        f"optim.lr={run.lr}",
        f"schedule.warmup_epochs={run.warmup_epochs}",
        f"work_dir={work_root / slug}",
        *extra,
    ]
    overrides += [f"model.kwargs.{k}={_yaml(v)}" for k, v in run.kwargs.items()]
    cfg = load_config(CONFIG, overrides)
    t0 = time.time()
    result = train(cfg, quiet=True)
    seconds = time.time() - t0
    losses = np.asarray(result.step_losses, dtype=float)
    finite = losses[np.isfinite(losses)]
    tail = finite[-max(1, len(finite) // 10) :]
    running_min = np.minimum.accumulate(finite) if len(finite) else finite
    spike = float(np.max(finite[20:] - running_min[19:-1])) if len(finite) > 20 else 0.0
    final_loss = float(tail.mean()) if len(tail) else math.nan
    diverged = result.diverged or not math.isfinite(final_loss) or final_loss >= 0.95 * math.log(10)
    lipschitz = math.nan
    ckpt = Path(result.work_dir) / "last.pth"
    if not result.diverged and ckpt.is_file():
        model = timm.create_model(
            cfg.model.name, num_classes=10, img_size=cfg.data.img_size, **cfg.model.kwargs
        )
        model.load_state_dict(load_checkpoint(ckpt)["model"])
        size = (cfg.data.img_size, cfg.data.img_size)
        lipschitz = empirical_lipschitz(
            model, sample_images(3, size, cfg.data.mean, cfg.data.std), iters=10
        )
    row = dict(
        name=run.name,
        group=run.group,
        model=run.model,
        lr=run.lr,
        warmup_epochs=run.warmup_epochs,
        top1=result.top1 if not result.diverged else math.nan,
        final_loss=final_loss,
        max_spike=spike,
        max_grad_norm=float(np.nanmax(result.step_grad_norms or [math.nan])),
        diverged=diverged,
        steps=len(losses),
        seconds=round(seconds, 1),
        lipschitz_est=lipschitz,
        losses=[float(x) for x in losses],
    )
    print(
        f"{run.name:42s} top-1 {row['top1']:6.2f}  final loss {final_loss:6.3f}  "
        f"spike {spike:5.2f}  "
        f"diverged {diverged}  ({seconds:.0f} s)",
        flush=True,
    )
    return row


def _fmt(v: float, spec: str) -> str:
    return (
        "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)
    )


def table(rows: list[dict], cfg_note: str) -> str:
    lines = [
        cfg_note,
        "",
        "| run | peak LR | warmup | val top-1 (%) | final train loss | max loss spike | "
        "max grad norm | diverged | Jacobian norm (end) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['lr']:g} | {r['warmup_epochs']:g} ep | {_fmt(r['top1'], '.1f')} | "
            f"{_fmt(r['final_loss'], '.3f')} | {_fmt(r['max_spike'], '.2f')} | "
            f"{_fmt(r['max_grad_norm'], '.3g')} | {'yes' if r['diverged'] else 'no'} | "
            f"{_fmt(r['lipschitz_est'], '.3g')} |"
        )
    return "\n".join(lines)


def _smooth(x: np.ndarray, k: int = 15) -> np.ndarray:
    if len(x) < k:
        return x
    return np.convolve(x, np.ones(k) / k, mode="valid")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    sweep = [r for r in rows if r["group"] == "sweep"]
    lrs = sorted({r["lr"] for r in sweep})
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(lrs), 1)))
    for r in sweep:
        c = colors[lrs.index(r["lr"])]
        axes[0].plot(
            _smooth(np.asarray(r["losses"])),
            color=c,
            lw=1.2,
            ls="--" if r["model"] == "baseline" else "-",
            label=r["name"],
        )
    axes[0].set_title("no warmup: baseline (dashed) vs LipsFormer (solid)")
    abl = [r for r in rows if r["group"] == "ablation"]
    for r in abl:
        axes[1].plot(
            _smooth(np.asarray(r["losses"])), lw=1.1, label=r["name"].replace("LipsFormer - ", "- ")
        )
    top = next((r for r in sweep if r["model"] == "lipsformer" and r["lr"] == max(lrs)), None)
    if top is not None:
        axes[1].plot(
            _smooth(np.asarray(top["losses"])), color="k", lw=1.6, label="LipsFormer (all)"
        )
    axes[1].set_title(f"ablations at lr={max(lrs):g}" if abl else "")
    for ax in axes:
        ax.set_xlabel("step")
        ax.set_ylim(0, 2.6)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, ncol=1)
    axes[0].set_ylabel("train loss (moving average of 15 steps)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_readme(readme: Path, block: str) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme} lacks the {BEGIN} / {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}")


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lrs", nargs="+", type=float, default=[5e-4, 1e-3, 2.5e-3, 5e-3])
    p.add_argument(
        "--ablations",
        nargs="+",
        default=list(ABLATIONS),
        help=f"subset of {list(ABLATIONS)}, or 'none'",
    )
    p.add_argument("--out-dir", default=str(PACKAGE_ROOT / "docs"))
    p.add_argument("--work-root", default=str(PACKAGE_ROOT / "work_dirs" / "reproduce"))
    p.add_argument("--no-readme", action="store_true", help="do not rewrite README.md")
    p.add_argument(
        "--cfg-options",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="overrides applied to every run (e.g. schedule.epochs=1)",
    )
    args = p.parse_args(argv)
    ablations = [] if args.ablations == ["none"] else args.ablations
    unknown = set(ablations) - set(ABLATIONS)
    if unknown:
        p.error(f"unknown ablations {sorted(unknown)}")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = load_config(CONFIG, args.cfg_options)
    t0 = time.time()
    rows = [
        execute(run, Path(args.work_root), args.cfg_options) for run in plan(args.lrs, ablations)
    ]
    minutes = (time.time() - t0) / 60
    note = (
        f"Measured by `python tools/reproduce.py` ({minutes:.1f} min, "
        f"{torch.get_num_threads()} CPU "
        f"threads, seed {cfg.seed}, one seed per row): {cfg.schedule.epochs} epochs x "
        f"{len(rows[0]['losses']) // max(cfg.schedule.epochs, 1)} steps of batch "
        f"{cfg.data.batch_size} "
        f"on the embedded 32x32 shapes data (10 classes, chance 10%), AdamW (0.9, 0.98), wd 0.05, "
        f'clip 5, cosine to lr/100, label smoothing 0.1, no warmup unless stated. "Diverged": '
        f'a non-finite loss or a final train loss >= 0.95 ln 10 (no learning). "Max loss spike": '
        f"the largest rise of the step loss above its running minimum after step 20 (nats). "
        f"Jacobian norm: empirical Lipschitz estimate of the trained model on 3 random images."
    )
    md = table(rows, note) + "\n\n![loss curves](docs/stability_loss.png)"
    plot(rows, out / "stability_loss.png")
    (out / "stability.json").write_text(json.dumps(rows, indent=0, allow_nan=True))
    print()
    print(md)
    if not args.no_readme:
        write_readme(PACKAGE_ROOT / "README.md", md)
        print(f"\nwrote the table into {PACKAGE_ROOT / 'README.md'}")
    return rows


if __name__ == "__main__":
    main()

"""CPU-scale version of the paper's study: every single norm and the learned combination on
each task type, mean ± std over seeds, plus the learned λ weights per task and layer.

    python tools/reproduce.py                     # the README numbers (~8 min CPU, 1 thread)
    python tools/reproduce.py --seeds 1 --tasks graph_reg --cfg-options epochs=2

Writes ``docs/reproduce_results.json``, ``docs/lambda_weights.png`` and the tables between
the ``reproduce`` markers of README.md (``--out-dir``/``--readme`` redirect them), and prints
the tables.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from graphnorm.config import load_config, parse_overrides
from graphnorm.engine import TASK_SPECS, train
from graphnorm.norm import SINGLE_MODES

HERE = Path(__file__).resolve().parent.parent
# One quick config per task type of the paper (node classification, link prediction, graph
# classification, graph regression).
TASK_CONFIGS = {
    "cluster": "configs/quick/gcn_learned_cluster.py",
    "link": "configs/quick/gatedgcn_learned_link.py",
    "graph_cls": "configs/quick/gatedgcn_learned_graph-cls.py",
    "graph_reg": "configs/quick/gatedgcn_learned_graph-reg.py",
}
NORMS = ("none", *SINGLE_MODES, "learned")
BEGIN, END = "<!-- reproduce:begin -->", "<!-- reproduce:end -->"


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def run_all(tasks, norms, seeds, overrides, work_root: Path) -> list[dict]:
    results = []
    for task in tasks:
        for norm in norms:
            for seed in seeds:
                cfg = load_config(HERE / TASK_CONFIGS[task], {
                    **overrides, "norm": norm, "seed": seed,
                    "work_dir": str(work_root / task / norm / f"seed{seed}"),
                })
                start = time.perf_counter()
                result = train(cfg, quiet=True)
                result["seconds"] = time.perf_counter() - start
                print(f"{task:9s} {norm:9s} seed {seed}: {result['metric']} "
                      f"{result['test']:.3f} ({result['seconds']:.1f}s)", flush=True)
                results.append(result)
    return results


def metric_table(results: list[dict], tasks, norms) -> tuple[str, dict]:
    header = "| task (metric) | model | " + " | ".join(norms) + " |"
    lines = [header, "|" + "---|" * (len(norms) + 2)]
    best_single = {}
    for task in tasks:
        spec = TASK_SPECS[task]
        cells, means = [], {}
        task_values = [r["test"] for r in results if r["task"] == task]
        # Percentages read well with 2 decimals; a sub-unit metric (MAE ~0.06) needs 3, else
        # every norm prints as "0.06".
        decimals = 3 if max(map(abs, task_values), default=0) < 1 else 2
        for norm in norms:
            values = [r["test"] for r in results if r["task"] == task and r["norm"] == norm]
            if not values:
                cells.append("-")
                continue
            mean, std = mean_std(values)
            means[norm] = mean
            cells.append(f"{mean:.{decimals}f} ± {std:.{decimals}f}")
        singles = {n: m for n, m in means.items() if n in SINGLE_MODES}
        if singles:
            pick = max if spec.higher_is_better else min
            best = pick(singles, key=singles.get)
            best_single[task] = best
            cells = [f"**{c}**" if n == best else c for n, c in zip(norms, cells, strict=True)]
        arrow = "↑" if spec.higher_is_better else "↓"
        model = next(r["model"] for r in results if r["task"] == task)
        lines.append(f"| {task} ({spec.metric_name} {arrow}) | {model} | " + " | ".join(cells)
                     + " |")
    return "\n".join(lines), best_single


def lambda_summary(results: list[dict], tasks) -> dict:
    """task -> per layer, per norm: (mean, std) over seeds of the channel-averaged λ."""
    summary = {}
    for task in tasks:
        tables = [r["lambda"] for r in results if r["task"] == task and r["lambda"]]
        if not tables:
            continue
        layers = []
        for layer in range(len(tables[0])):
            per_norm = [mean_std([t[layer][k] for t in tables]) for k in range(len(SINGLE_MODES))]
            layers.append(per_norm)
        summary[task] = layers
    return summary


def lambda_table(summary: dict) -> str:
    lines = ["| task | layer | " + " | ".join(f"λ {n}" for n in SINGLE_MODES) + " |",
             "|" + "---|" * (len(SINGLE_MODES) + 2)]
    for task, layers in summary.items():
        for i, per_norm in enumerate(layers, 1):
            top = max(range(len(per_norm)), key=lambda k: per_norm[k][0])
            cells = [f"{m:.3f} ± {s:.3f}" for m, s in per_norm]
            cells[top] = f"**{cells[top]}**"
            lines.append(f"| {task} | {i} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def agreement_table(summary: dict, best_single: dict) -> str:
    lines = ["| task | best single norm (test) | largest λ, averaged over layers | agree |",
             "|---|---|---|---|"]
    for task, layers in summary.items():
        average = [statistics.mean(layer[k][0] for layer in layers)
                   for k in range(len(SINGLE_MODES))]
        top = max(range(len(average)), key=average.__getitem__)
        best = best_single.get(task, "-")
        lines.append(f"| {task} | {best} | {SINGLE_MODES[top]} ({average[top]:.3f}) | "
                     f"{'yes' if SINGLE_MODES[top] == best else 'no'} |")
    return "\n".join(lines)


def plot_lambdas(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # λ starts equal for every norm (softmax of equal logits, or ones / 4), and the learned
    # weights stay within a few hundredths of it: bars grow from that start value, so the
    # direction each norm moved is what the eye reads.
    initial = 1 / len(SINGLE_MODES)
    fig, axes = plt.subplots(1, len(summary), figsize=(3.2 * len(summary), 3.0), sharey=True,
                             squeeze=False)
    width = 0.8 / len(SINGLE_MODES)
    for ax, (task, layers) in zip(axes[0], summary.items(), strict=True):
        for k, name in enumerate(SINGLE_MODES):
            xs = [i + (k - (len(SINGLE_MODES) - 1) / 2) * width for i in range(len(layers))]
            ax.bar(xs, [layer[k][0] - initial for layer in layers], width, bottom=initial,
                   yerr=[layer[k][1] for layer in layers], label=name, capsize=2)
        ax.axhline(initial, color="gray", lw=0.8, ls="--")
        ax.set_xticks(range(len(layers)), [f"L{i + 1}" for i in range(len(layers))])
        ax.set_title(task, fontsize=10)
    axes[0][0].set_ylabel(f"λ, channel mean\n(bars from the initial {initial:g})")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(SINGLE_MODES), fontsize=8,
               frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", choices=list(TASK_CONFIGS),
                        default=list(TASK_CONFIGS))
    parser.add_argument("--norms", nargs="+", choices=NORMS, default=list(NORMS))
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                        help="override keys of every run (e.g. epochs=2)")
    parser.add_argument("--out-dir", default=str(HERE / "docs"), help="JSON and PNG go here")
    parser.add_argument("--readme", default=str(HERE / "README.md"),
                        help="README whose reproduce markers are filled ('' to skip)")
    parser.add_argument("--work-dir", default="work_dirs/reproduce")
    args = parser.parse_args(argv)

    start, cpu_start = time.perf_counter(), time.process_time()
    results = run_all(args.tasks, args.norms, range(args.seeds),
                      parse_overrides(args.cfg_options), Path(args.work_dir))
    minutes = (time.perf_counter() - start) / 60
    # CPU time of this process: on a shared machine the wall time mostly measures the others.
    cpu_minutes = (time.process_time() - cpu_start) / 60
    table, best_single = metric_table(results, args.tasks, args.norms)
    summary = lambda_summary(results, args.tasks)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "reproduce_results.json").write_text(json.dumps(results, indent=1))
    sections = [
        f"Test metric, mean ± std over {args.seeds} seed(s), at the best validation epoch; "
        f"best single norm in bold. Wall time {minutes:.1f} min, CPU time {cpu_minutes:.1f} min "
        "(`make reproduce-graphnorm`, 1 torch thread).",
        "",
        table,
    ]
    if summary:
        plot_lambdas(summary, out_dir / "lambda_weights.png")
        sections += [
            "",
            "Learned λ (softmax weights averaged over channels; mean ± std over seeds; "
            "initial value 0.25; largest in bold):",
            "",
            lambda_table(summary),
            "",
            agreement_table(summary, best_single),
            "",
            "![learned λ per task and layer](docs/lambda_weights.png)",
        ]
    text = "\n".join(sections)
    print(text)
    if args.readme:
        readme = Path(args.readme)
        content = readme.read_text()
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if not pattern.search(content):
            raise ValueError(f"{readme}: markers {BEGIN} / {END} not found")
        readme.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}\n{END}", content))
    return {"results": results, "best_single": best_single, "lambda": summary,
            "minutes": minutes, "cpu_minutes": cpu_minutes}


if __name__ == "__main__":
    main()

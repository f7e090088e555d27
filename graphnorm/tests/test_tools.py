"""reproduce.py and bench.py end to end on tiny settings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reproduce_writes_tables_plot_and_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- reproduce:begin -->\nold\n<!-- reproduce:end -->\nrest\n")
    out = load_tool("reproduce").main([
        "--tasks", "graph_reg", "--norms", "graph", "learned", "--seeds", "2",
        "--cfg-options", f"data_root={tmp_path / 'data'}", "num_graphs=[16,8,8]", "epochs=1",
        "hidden=8", "num_layers=2",
        "--out-dir", str(tmp_path / "docs"), "--readme", str(readme),
        "--work-dir", str(tmp_path / "work"),
    ])
    text = readme.read_text()
    assert "\nold\n" not in text and text.startswith("intro") and text.endswith("rest\n")
    assert "| graph_reg (mae ↓) | gatedgcn |" in text
    assert "| graph_reg | 2 | " in text  # λ table: one row per layer
    assert (tmp_path / "docs" / "lambda_weights.png").stat().st_size > 1000
    assert (tmp_path / "docs" / "reproduce_results.json").is_file()
    assert out["best_single"] == {"graph_reg": "graph"}
    layers = out["lambda"]["graph_reg"]
    assert len(layers) == 2
    for layer in layers:  # softmax weights of the 4 norms sum to one
        assert abs(sum(mean for mean, _ in layer) - 1) < 1e-5
    assert "Learned λ" in capsys.readouterr().out


def test_bench_prints_ratios_to_batchnorm(capsys):
    rows = load_tool("bench").main(["--nodes", "2000", "--graphs", "10", "--repeats", "1",
                                    "--channels", "8"])
    assert rows[0]["norm"] == "PyG BatchNorm" and rows[0]["epoch_ratio"] == 1.0
    assert {r["norm"] for r in rows} >= {"PyG LayerNorm(mode=node)", "PyG GraphNorm (Cai)",
                                         "LearnedGraphNorm(mode=learned)"}
    assert "x PyG BatchNorm" in capsys.readouterr().out

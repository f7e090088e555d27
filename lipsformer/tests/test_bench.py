"""tools/bench.py: model specs with kwargs, and a real (tiny) interleaved timing run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "bench.py"
spec = importlib.util.spec_from_file_location("lipsformer_bench_tool", TOOL)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_parse_model_reads_kwargs_as_literals():
    assert bench.parse_model("swin_tiny_patch4_window7_224") == ("swin_tiny_patch4_window7_224", {})
    assert bench.parse_model("lipsformer_swin_tiny:dwconv_branches=0,tau=12.0") == (
        "lipsformer_swin_tiny",
        {"dwconv_branches": 0, "tau": 12.0},
    )
    with pytest.raises(ValueError, match="key=value"):
        bench.parse_model("lipsformer_swin_tiny:dwconv_branches")


def test_bench_times_baseline_and_variants_in_one_run(capsys):
    tiny = "lipsformer_swin_tiny:img_size=64,depths=(1,1,1,1),embed_dim=16,num_heads=(1,1,1,1)"
    tiny += ",window_size=2"
    ratios = bench.main([
        "--baseline", tiny, "--models", tiny + ",dwconv_branches=0",
        "--img-size", "64", "--batch-size", "2", "--steps", "1", "--warmup", "0",
        "--device", "cpu",
    ])
    assert len(ratios) == 2 and all(r > 0 for r in ratios.values())
    assert "(baseline)" in capsys.readouterr().out

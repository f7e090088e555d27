"""tools/bench.py on the tiny quick models: every model is timed in the same interleaved rounds."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402


def test_quick_bench_times_every_model_and_prints_ratios(capsys):
    per_image = bench.main(["--scale", "quick", "--size", "64", "--batch-size", "1",
                            "--warmup", "1", "--iters", "2", "--device", "cpu"])
    assert list(per_image) == list(bench.MODELS_BY_SCALE["quick"])
    assert all(seconds > 0 for seconds in per_image.values())
    out = capsys.readouterr().out
    assert "interleaved rounds" in out
    # the baseline's own ratio row reads 1.00
    assert f"| {next(iter(per_image))} | " in out and " | 1.00 |" in out

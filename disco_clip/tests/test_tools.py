"""tools/reproduce.py and tools/bench.py at smoke size; README marker handling."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reproduce_quick_writes_tables_between_markers(tmp_path):
    reproduce = _tool("reproduce")
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\nbefore\n{reproduce.BEGIN}\nold\n{reproduce.END}\nafter\n")
    text = reproduce.main(["--quick", "--world-sizes", "2", "--readme", str(readme)])
    written = readme.read_text()
    assert "old" not in written and "before" in written and "after" in written
    assert "(a) Gradient equality" in written and "| paper_tiled | 2 |" in written
    assert "DisCo ÷ naive" in text
    for line in text.splitlines():  # every gradient difference is float64 rounding
        if line.startswith(("| paper", "| open_clip", "| naive |")):
            diffs = [float(x) for x in line.split("|")[5:9]]
            assert max(diffs) < 1e-12, line
    (tmp_path / "plain.md").write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        reproduce.write_readme(tmp_path / "plain.md", "x")


def test_bench_reports_ratios():
    text = _tool("bench").main(["--batch", "512", "--dim", "32", "--tile-size", "64",
                                "--repeats", "1"])
    assert "DisCo memory ÷ naive" in text and "DisCo time ÷ local" in text
    assert "| disco |" in text and "| tiled |" in text


def test_reproduce_under_torchrun_uses_its_own_groups():
    """`make reproduce-discoclip` runs under torchrun: rank 0 must still start fresh groups."""
    import os
    import subprocess
    import sys

    from disco_clip.spawn import free_port

    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", str(free_port()), str(ROOT / "tools" / "reproduce.py"),
           "--launcher", "pytorch", "--quick", "--no-readme", "--world-sizes", "2"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("(a) gradient equality") == 1 and "took" in out.stdout

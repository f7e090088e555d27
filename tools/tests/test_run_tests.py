"""tools/run_tests.py: the per-suite summary and the grand total that CI reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import run_tests  # noqa: E402


@pytest.mark.parametrize(
    ("line", "summary"),
    [
        ("2 failed, 47 passed, 1 warning in 40.74s", "2 failed, 47 passed, 1 warning in 40.74s"),
        ("===== 3 passed, 1 skipped in 1.20s =====", "3 passed, 1 skipped in 1.20s"),
        ("no tests ran in 0.01s", "no tests ran in 0.01s"),
        ("........ [100%]", None),
    ],
)
def test_summary_line_with_and_without_rule(line, summary):
    match = run_tests.SUMMARY.match(line)
    assert (match.group(1) if match else None) == summary


def test_total_line_adds_up_the_suites(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import pytest\n"
        "def test_ok(): assert True\n"
        "def test_bad(): assert False\n"
        "@pytest.mark.skip(reason='x')\n"
        "def test_skip(): pass\n"
    )
    # An absolute suite path stands for a subproject folder (ROOT / absolute == absolute).
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run_tests.py"), sys.executable, str(tmp_path),
         str(tmp_path)],
        capture_output=True, text=True,
    )
    assert out.returncode == 1
    assert "total: 2 passed, 2 failed, 2 skipped" in out.stdout.splitlines()


def test_no_source_file_is_git_ignored():
    """A bare `data/` pattern once kept src/<pkg>/data/ out of git: every package file must be
    committable."""
    sources = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/src/**/*.py")
               if ".venv" not in p.parts]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *sources], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    assert not ignored, f"git ignores package sources: {ignored[:5]}"

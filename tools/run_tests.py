"""Run each test suite in its own pytest process and print one summary line per suite.

usage: python tools/run_tests.py PYTHON SUITE [SUITE ...]

A suite is `tools` (tools/tests, run from the repo root) or a subproject folder (its tests/,
run from inside the folder so that each subproject's conftest and relative paths behave as
they do in `make test-<name>`). Separate processes keep same-named test modules of different
subprojects from colliding. "No tests collected" counts as a failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5  # pytest's exit code for an empty collection
# pytest's closing line, with or without the `===` rule around it (`-q` drops the rule).
SUMMARY = re.compile(r"^=*\s*(\d+ \w+.* in [\d.]+s\b.*?|no tests ran.*?)\s*=*$")
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?)\b")


def run_suite(python: str, suite: str) -> tuple[int, str, float]:
    cwd, target = (ROOT, "tools/tests") if suite == "tools" else (ROOT / suite, "tests")
    start = time.monotonic()
    proc = subprocess.run(
        [python, "-m", "pytest", target, "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    elapsed = time.monotonic() - start
    sys.stdout.write(proc.stdout)
    summary = next(
        (m.group(1) for line in reversed(proc.stdout.splitlines()) if (m := SUMMARY.match(line))),
        "no pytest summary line",
    )
    return proc.returncode, summary, elapsed


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    python, suites = argv[0], argv[1:]
    results = []
    for suite in suites:
        print(f"\n######## {suite}", flush=True)
        results.append((suite, *run_suite(python, suite)))

    print("\n======== test summary")
    failed = False
    totals = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    for suite, code, summary, elapsed in results:
        verdict = "ok" if code == 0 else "FAILED"
        if code == NO_TESTS_COLLECTED:
            verdict = "FAILED (no tests collected)"
        failed |= code != 0
        print(f"{suite:18s} {verdict:28s} {summary}  [{elapsed:.0f} s]")
        for number, kind in COUNT.findall(summary):
            totals[kind.rstrip("s") if kind.startswith("error") else kind] += int(number)
    failed_total = totals["failed"] + totals["error"]
    print(f"total: {totals['passed']} passed, {failed_total} failed, {totals['skipped']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

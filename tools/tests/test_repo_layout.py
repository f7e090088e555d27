"""The monorepo's structural promises: shared pins agree, subprojects stand alone, targets exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBPROJECTS = [
    "lipsformer", "disco_clip", "ascend_diffusion", "dab_detr", "mfd_gfl",
    "textvqa_t5", "table_master", "graphnorm", "hamming_ocr",
]
PRESENT = [s for s in SUBPROJECTS if (ROOT / s / "pyproject.toml").exists()]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)\s*(==|>=|<=|~=|<|>)\s*(.+?)\s*(#.*)?$")


def parse_requirements(path: Path) -> dict[str, str]:
    """Map normalised package name -> version spec, rejecting lines pip would read loosely."""
    pins = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"{path}:{number}: not a pinned requirement: {raw!r}"
        name = re.sub(r"[-_.]+", "-", match.group(1).split("[")[0]).lower()
        pins[name] = line[len(match.group(1)):].strip()
    return pins


def test_parse_requirements_rejects_unpinned(tmp_path):
    bad = tmp_path / "requirements.txt"
    bad.write_text("torch==2.14.1\nnumpy\n")
    with pytest.raises(AssertionError, match="not a pinned requirement"):
        parse_requirements(bad)


def test_requirement_pins_agree_across_subprojects():
    """One shared .venv serves every subproject only if no two pin a package differently."""
    files = [ROOT / "tools" / "requirements.txt"] + [ROOT / s / "requirements.txt" for s in PRESENT]
    seen: dict[str, tuple[str, Path]] = {}
    for path in files:
        for name, spec in parse_requirements(path).items():
            if name in seen:
                assert seen[name][0] == spec, (
                    f"{name}: {path.relative_to(ROOT)} pins {spec}, "
                    f"{seen[name][1].relative_to(ROOT)} pins {seen[name][0]}"
                )
            else:
                seen[name] = (spec, path)


@pytest.mark.parametrize("name", PRESENT)
def test_subproject_requirements_pin_torch_exactly(name):
    pins = parse_requirements(ROOT / name / "requirements.txt")
    assert pins.get("torch") == "==2.14.1" and pins.get("torchvision") == "==0.29.1"
    for package, spec in pins.items():
        if package != "setuptools":
            assert spec.startswith("=="), f"{name}/requirements.txt: {package} is not pinned"


@pytest.mark.parametrize("name", PRESENT)
def test_subproject_has_standard_shape(name):
    folder = ROOT / name
    for path in ["README.md", "requirements.txt", "pyproject.toml", "tests", "configs",
                 "tools/train.py", "tools/eval.py", "tools/reproduce.py", "tools/bench.py"]:
        assert (folder / path).exists(), f"{name}/{path} is missing"
    assert (folder / "src" / name).is_dir(), f"{name}/src/{name}/ (src layout) is missing"


@pytest.mark.parametrize("name", PRESENT)
def test_subproject_imports_no_sibling_and_no_top_level_tools(name):
    others = [s for s in SUBPROJECTS if s != name] + ["tools"]
    pattern = re.compile(rf"^\s*(from|import)\s+({'|'.join(others)})(\.|\s|$)", re.M)
    for path in (ROOT / name).rglob("*.py"):
        if ".venv" in path.parts:
            continue
        hits = pattern.findall(path.read_text(errors="replace"))
        assert not hits, f"{path.relative_to(ROOT)} imports {hits[0][1]}"


def make(*args: str) -> str:
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], check=True,
                          capture_output=True, text=True).stdout


def test_make_help_lists_every_target_family():
    out = make("help")
    for target in ["env-<name>", "train-<name>", "eval-<name>", "test-<name>",
                   "reproduce-<name>", "bench-<name>", "test ", "lint", "clean"]:
        assert target in out, f"`make help` does not mention {target.strip()}"


ENTRYPOINTS = {"train": "tools/train.py", "eval": "tools/eval.py", "test": "-m pytest tests",
               "reproduce": "tools/reproduce.py", "bench": "tools/bench.py", "env": None}


@pytest.mark.parametrize("name", PRESENT)
def test_make_targets_accept_folder_name_and_alias(name):
    """`train-dab_detr` and `train-dabdetr` expand to the same commands, and only their own."""
    for family, entrypoint in ENTRYPOINTS.items():
        plain = make("-n", f"{family}-{name}", "CONFIG=c.py", "ARGS=--x")
        alias = make("-n", f"{family}-{name.replace('_', '')}", "CONFIG=c.py", "ARGS=--x")
        assert plain == alias
        assert f"make_env.sh {ROOT / '.venv'} {name} " in plain  # environment first
        ran = [e for e in ENTRYPOINTS.values() if e and e in plain]
        assert ran == ([entrypoint] if entrypoint else []), f"{family}-{name} runs {ran}"


def test_isolated_env_lives_in_the_subproject():
    for name in PRESENT[:1]:
        plain = make("-n", f"env-{name}", "ISOLATED=1")
        venv, requirements = ROOT / name / ".venv", ROOT / name / "requirements.txt"
        assert f"make_env.sh {venv} {name} {requirements}" in plain


def test_unknown_subproject_is_an_error():
    proc = subprocess.run(["make", "-C", str(ROOT), "train-nosuchpaper"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no subproject 'nosuchpaper'" in proc.stderr


def test_gpus_and_nodes_reach_the_launcher():
    name = PRESENT[0] if PRESENT else pytest.skip("no subproject has landed")
    plain = make("-n", f"train-{name}", "GPUS=4")
    assert f"GPUS=4 {ROOT / 'tools' / 'launch.sh'}" in plain
    launch = (ROOT / "tools" / "launch.sh").read_text()
    for variable in ["NNODES", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT"]:
        assert variable in launch

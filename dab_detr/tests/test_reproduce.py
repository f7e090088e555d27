"""tools/reproduce.py's table plumbing (the training it drives is covered by test_training)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import reproduce  # noqa: E402


def test_readme_block_is_replaced_between_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{reproduce.BEGIN}\nold table\n{reproduce.END}\noutro\n")
    reproduce.write_readme(readme, "| new | table |")
    assert readme.read_text() == (f"intro\n{reproduce.BEGIN}\n| new | table |\n"
                                  f"{reproduce.END}\noutro\n")
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        reproduce.write_readme(readme, "x")


def test_history_and_tables_from_scalars(tmp_path):
    for _, config, _ in reproduce.CONVERGENCE + reproduce.ABLATIONS:
        vis = tmp_path / config / "20260101_000000" / "vis_data"
        vis.mkdir(parents=True, exist_ok=True)
        lines = [{"loss": 1.0, "step": 10},  # training scalars are skipped
                 {"coco/bbox_mAP": 0.1, "coco/bbox_mAP_50": 0.3, "coco/bbox_mAP_75": 0.05,
                  "step": 2},
                 {"coco/bbox_mAP": 0.2, "coco/bbox_mAP_50": 0.4, "coco/bbox_mAP_75": 0.1,
                  "step": 4}]
        (vis / "scalars.json").write_text("\n".join(json.dumps(x) for x in lines))
    results = {c: reproduce.val_history(tmp_path / c)
               for _, c, _ in reproduce.CONVERGENCE + reproduce.ABLATIONS}
    assert sorted(results["detr_r18-tiny_1xb4-12e_shapes.py"]) == [2, 4]
    table = reproduce.convergence_table(results, epochs=4)
    assert "AP @ 2 ep | AP @ 4 ep" in table
    assert "| DAB-DETR | 42.2 | 10.0 | 20.0 | 40.0 | 10.0 |" in table
    ablations = reproduce.ablation_table(results, 4)
    assert "| w/o anchor update | 44.0 | 20.0 | 40.0 | 10.0 |" in ablations

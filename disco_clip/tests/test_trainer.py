"""The trainer: 2-rank run with checkpoint + resume, CLI strictness, bad input, webdataset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dist_workers
import pytest
import torch
from PIL import Image

from disco_clip.config import parse_args
from disco_clip.data.datasets import write_webdataset
from disco_clip.spawn import free_port, run_in_process_group
from disco_clip.trainer import evaluate_main, main

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "configs" / "quick" / "disco_vit-tiny_2xb64-8e_shapes.yaml"


def _args(tiny_shapes, logs, *extra):
    return ["--config", str(QUICK), "--embedded-data", str(tiny_shapes),
            "--embedded-train-samples", "128", "--batch-size", "8", "--workers", "0",
            "--work-dir", str(logs), "--name", "run", "--warmup", "2", "--log-every-n-steps", "4",
            *extra]


def test_two_rank_training_checkpoint_and_resume(tiny_shapes, tmp_path):
    # Epoch 1 on 2 gloo ranks: 128 pairs / (2 x 8) = 8 steps, then checkpoint + eval.
    first = run_in_process_group(dist_workers.train_main, 2,
                                 _args(tiny_shapes, tmp_path, "--epochs", "1"))
    assert first[1] == {}  # only rank 0 evaluates
    metrics = first[0]
    assert 0 <= metrics["zeroshot_top1"] <= 1 and "image_to_text_R@10" in metrics
    ckpt_dir = tmp_path / "run" / "checkpoints"
    epoch1 = torch.load(ckpt_dir / "epoch_1.pt", weights_only=True)
    assert (epoch1["epoch"], epoch1["step"]) == (1, 8)
    assert set(epoch1) >= {"epoch", "name", "state_dict", "optimizer", "scaler"}

    # Epoch 2 through the real CLI under torchrun, resuming from the latest checkpoint.
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", str(free_port()), str(ROOT / "tools" / "train.py"),
           "--launcher", "pytorch", *_args(tiny_shapes, tmp_path, "--epochs", "2",
                                           "--resume", "latest")]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "resumed from" in out.stdout and "at epoch 1, step 8" in out.stdout
    assert "final " in out.stdout
    epoch2 = torch.load(ckpt_dir / "epoch_2.pt", weights_only=True)
    assert (epoch2["epoch"], epoch2["step"]) == (2, 16)
    assert epoch2["optimizer"]["state"][0]["step"] == 16  # optimizer state carried over
    changed = any(not torch.equal(epoch1["state_dict"][k], v)
                  for k, v in epoch2["state_dict"].items())
    assert changed
    assert (tmp_path / "run" / "tensorboard").is_dir()

    # tools/eval.py path: the same weights give the numbers the run printed last.
    final = dict(kv.split("=") for kv in out.stdout.split("final ")[1].split())
    metrics = evaluate_main(_args(tiny_shapes, tmp_path, "--checkpoint",
                                  str(ckpt_dir / "epoch_2.pt")))
    assert metrics["zeroshot_top1"] == pytest.approx(float(final["zeroshot_top1"]), abs=1e-4)
    assert metrics["image_to_text_R@5"] == pytest.approx(float(final["image_to_text_R@5"]),
                                                         abs=1e-4)


def test_cli_rejects_unknown_arguments():
    with pytest.raises(SystemExit) as exc:
        parse_args(["--config", str(QUICK), "--no-such-option", "1"])
    assert exc.value.code == 2


def test_config_rejects_unknown_keys_and_bad_choices(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("batch_size: 4\nnot_an_option: 1\n")
    with pytest.raises(ValueError, match="unknown key 'not_an_option'"):
        parse_args(["--config", str(bad)])
    bad.write_text("loss: fancy\n")
    with pytest.raises(ValueError, match="loss='fancy'"):
        parse_args(["--config", str(bad)])


def test_every_config_parses():
    configs = sorted((ROOT / "configs").rglob("*.yaml"))
    assert len(configs) >= 4
    for config in configs:
        args = parse_args(["--config", str(config)])
        assert args.model and args.loss and args.batch_size > 0, config


def test_corrupt_image_is_reported_with_its_path(tiny_shapes, tmp_path):
    lines = (tiny_shapes / "train.csv").read_text().splitlines()[:17]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png at all")
    rows = [lines[0]] + [f"{tiny_shapes / line.split(',')[0]},{line.split(',')[1]}"
                         for line in lines[1:16]] + [f"{broken},one red circle in the top left."]
    csv_file = tmp_path / "train.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=f"cannot read image {broken}"):
        main(["--config", str(QUICK), "--embedded-data", "", "--train-data", str(csv_file),
              "--batch-size", "8", "--workers", "0", "--epochs", "1", "--work-dir", str(tmp_path),
              "--report-to", "none"])


def test_missing_csv_column_is_reported(tmp_path):
    csv_file = tmp_path / "train.csv"
    csv_file.write_text("image,title\na.png,hello\n")
    with pytest.raises(ValueError, match="missing column"):
        main(["--config", str(QUICK), "--embedded-data", "", "--train-data", str(csv_file),
              "--workers", "0", "--work-dir", str(tmp_path), "--report-to", "none"])


def test_webdataset_training_single_process(tiny_shapes, tmp_path):
    pattern = write_webdataset(tiny_shapes / "train.csv", tmp_path / "shards",
                               samples_per_shard=40)
    metrics = main(["--config", str(QUICK), "--embedded-data", "", "--train-data", pattern,
                    "--val-data", str(tiny_shapes / "val.csv"),
                    "--zeroshot-classes", str(tiny_shapes / "classes.json"),
                    "--batch-size", "16", "--workers", "1", "--epochs", "1", "--max-steps", "3",
                    "--work-dir", str(tmp_path), "--report-to", "none", "--loss", "tiled",
                    "--tile-size", "8"])
    assert "zeroshot_top1" in metrics


def test_siglip_training_single_process(tiny_shapes, tmp_path):
    main(["--config", str(QUICK), "--embedded-data", str(tiny_shapes),
          "--embedded-train-samples", "128", "--batch-size", "16", "--workers", "0",
          "--epochs", "1", "--max-steps", "2", "--val-frequency", "9", "--work-dir",
          str(tmp_path), "--report-to", "none", "--loss", "siglip"])
    state = torch.load(tmp_path / "disco_vit-tiny_2xb64-8e_shapes" / "checkpoints" /
                       "epoch_latest.pt", weights_only=True)["state_dict"]
    assert "logit_bias" in state and state["logit_bias"].item() < -9


def test_pretrained_path_initialises_the_model(tiny_shapes, tmp_path):
    common = ["--config", str(QUICK), "--embedded-data", "", "--train-data",
              str(tiny_shapes / "train.csv"), "--batch-size", "16", "--workers", "0",
              "--epochs", "1", "--work-dir", str(tmp_path), "--report-to", "none"]
    main([*common, "--name", "source", "--max-steps", "2"])
    source = tmp_path / "source" / "checkpoints" / "epoch_1.pt"
    main([*common, "--name", "copy", "--max-steps", "0", "--pretrained", str(source)])
    before = torch.load(source, weights_only=True)["state_dict"]
    after = torch.load(tmp_path / "copy" / "checkpoints" / "epoch_1.pt",
                       weights_only=True)["state_dict"]
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_image_folder_of_embedded_data_is_deterministic(tiny_shapes, tmp_path):
    from disco_clip.data.shapes import ShapesSpec, generate

    other = generate(tmp_path / "again", ShapesSpec(num_train=128))
    assert (other / "train.csv").read_text() == (tiny_shapes / "train.csv").read_text()
    first = Image.open(tiny_shapes / "images/train/000005.png")
    second = Image.open(other / "images/train/000005.png")
    assert first.tobytes() == second.tobytes()

"""Embedded dataset and the CSV / webdataset readers."""

from __future__ import annotations

import csv
import json
import tarfile

import pytest
import torch

from disco_clip.data.datasets import (
    CsvDataset,
    WebDataset,
    expand_shards,
    iter_tar_samples,
    write_webdataset,
)
from disco_clip.data.shapes import COLOURS, POSITIONS, SHAPES, class_names


def _identity(x):
    return x


def _tokenize(texts):
    return torch.tensor([[len(t)] for t in texts])


def test_embedded_dataset_layout(tiny_shapes):
    train = list(csv.DictReader(open(tiny_shapes / "train.csv")))
    val = list(csv.DictReader(open(tiny_shapes / "val.csv")))
    classes = json.loads((tiny_shapes / "classes.json").read_text())
    assert len(train) == 128 and set(train[0]) == {"filepath", "caption"}
    assert len(val) == len(COLOURS) * len(SHAPES) * 3 * len(POSITIONS)
    assert len({row["caption"] for row in val}) == len(val)  # one right answer per query
    assert classes["classnames"] == class_names() and len(classes["classnames"]) == 24
    for row in val[:20]:
        colour, shape = row["label"].split()
        assert colour in row["caption"] and shape in row["caption"]
        assert (tiny_shapes / row["filepath"]).is_file()


def test_csv_dataset_with_labels(tiny_shapes):
    ds = CsvDataset(tiny_shapes / "val.csv", _identity, _tokenize, label_key="label",
                    classnames=class_names())
    image, text, label = ds[7]
    assert image.size == (64, 64) and image.mode == "RGB"
    assert class_names()[label] in ds.captions[7]
    with pytest.raises(ValueError, match="not zero-shot classes"):
        CsvDataset(tiny_shapes / "val.csv", _identity, _tokenize, label_key="label",
                   classnames=["red circle"])


def test_csv_empty_field_is_reported(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("filepath,caption\na.png,\n")
    with pytest.raises(ValueError, match=r"x.csv, line 2: empty field\(s\) \['caption'\]"):
        CsvDataset(bad, _identity, _tokenize)


def test_brace_expansion_and_missing_shards(tmp_path):
    for i in range(3):
        (tmp_path / f"s-{i:03d}.tar").write_bytes(b"")
    assert len(expand_shards(str(tmp_path / "s-{000..002}.tar"))) == 3
    assert len(expand_shards(f"{tmp_path}/s-000.tar::{tmp_path}/s-00[12].tar")) == 3
    with pytest.raises(FileNotFoundError, match="s-004.tar"):
        expand_shards(str(tmp_path / "s-{004..005}.tar"))


def test_webdataset_splits_evenly_over_ranks_and_workers(tiny_shapes, tmp_path):
    pattern = write_webdataset(tiny_shapes / "train.csv", tmp_path, samples_per_shard=30)
    assert len(expand_shards(pattern)) == 5  # 128 samples / 30 per shard
    seen = []
    for rank in range(2):
        ds = WebDataset(pattern, lambda im: torch.tensor(im.size), _tokenize, batch_size=8,
                        rank=rank, world_size=2, seed=3)
        batches = list(ds)
        assert len(batches) == ds.batches_per_rank() == 8  # 64 samples per rank / 8
        seen.append(torch.cat([b[1] for b in batches]).flatten().tolist())
    assert len(seen[0]) == len(seen[1])


def test_webdataset_corrupt_member_is_reported(tmp_path):
    import io

    shard = tmp_path / "bad-000000.tar"
    with tarfile.open(shard, "w") as tar:
        for name, data in (("k1.png", b"garbage"), ("k1.txt", b"a caption")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    ds = WebDataset(str(shard), _identity, _tokenize, batch_size=1)
    with pytest.raises(ValueError, match=f"cannot read image {shard}:k1.png"):
        list(ds)


def test_webdataset_incomplete_sample_is_reported(tmp_path):
    import io

    shard = tmp_path / "half-000000.tar"
    with tarfile.open(shard, "w") as tar:
        info = tarfile.TarInfo("k1.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(ValueError, match="needs an image"):
        list(iter_tar_samples(str(shard)))

"""open_clip's two training-data formats: a CSV of (image path, caption) rows, and webdataset tar
shards (``key.jpg`` + ``key.txt`` per sample, as img2dataset writes them).

Bad input fails early with the file and the field or member: a missing column, an empty field,
an unreadable image, a shard sample without an image or a caption, a shard that is not there.
"""

from __future__ import annotations

import csv
import glob
import io
import math
import posixpath
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple, TypeVar

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, IterableDataset, get_worker_info

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
CAPTION_EXTENSION = "txt"
_BRACE_RANGE = re.compile(r"\{(\d+)\.\.(\d+)\}")
_GLOB_CHARACTERS = "*?["

Transform = Callable[[Image.Image], object]
Tokenizer = Callable[[list[str]], torch.Tensor]
T = TypeVar("T")


def load_rgb(source: str | Path | IO[bytes], name: str) -> Image.Image:
    """The image at ``source`` as RGB; ``name`` says where it came from in the error."""
    try:
        with Image.open(source) as image:
            return image.convert("RGB")  # convert() decodes, so a truncated file fails here
    except (OSError, Image.DecompressionBombError) as err:  # OSError covers unidentified files
        raise ValueError(f"cannot read image {name}: {err}") from err


def read_csv_rows(path: str | Path, required_keys: Sequence[str], separator: str = ","
                  ) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV, checked: the required columns exist and are never empty."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=separator)
        header = list(reader.fieldnames or [])
        missing = [key for key in required_keys if key not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; the header has {header} "
                             f"(separator {separator!r})")
        rows = []
        for row in reader:
            empty = [key for key in required_keys if not (row[key] or "").strip()]
            if empty:
                raise ValueError(f"{path}, line {reader.line_num}: empty field(s) {empty}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows below the header")
    return header, rows


class CsvDataset(Dataset):
    """open_clip's CSV dataset: ``(image, tokens)``, or ``(image, tokens, label)`` with a label
    column of zero-shot class names.

    Relative image paths are taken relative to the CSV's folder (open_clip: to the working
    directory), so a dataset folder can be moved or read from anywhere.
    """

    def __init__(self, path: str | Path, transform: Transform, tokenizer: Tokenizer,
                 img_key: str = "filepath", caption_key: str = "caption", separator: str = ",",
                 label_key: str | None = None, classnames: Sequence[str] | None = None):
        if (label_key is None) != (classnames is None):
            raise ValueError("label_key and classnames go together: labels index the classes")
        keys = [img_key, caption_key] + ([label_key] if label_key else [])
        _, rows = read_csv_rows(path, keys, separator)
        folder = Path(path).parent
        self.images = [str(folder / row[img_key]) for row in rows]
        self.captions = [row[caption_key] for row in rows]
        self.labels: list[int] | None = None
        if label_key is not None:
            index = {name: i for i, name in enumerate(classnames)}
            unknown = sorted({row[label_key] for row in rows} - set(index))
            if unknown:
                raise ValueError(f"{path}: labels {unknown[:5]} in column {label_key!r} are not "
                                 f"zero-shot classes ({len(index)} classes, e.g. "
                                 f"{list(index)[:3]})")
            self.labels = [index[row[label_key]] for row in rows]
        self.transform = transform
        self.tokenizer = tokenizer

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, i: int) -> tuple:
        image = self.transform(load_rgb(self.images[i], self.images[i]))
        tokens = self.tokenizer([self.captions[i]])[0]
        if self.labels is None:
            return image, tokens
        return image, tokens, self.labels[i]


def _expand_braces(pattern: str) -> list[str]:
    match = _BRACE_RANGE.search(pattern)
    if match is None:
        return [pattern]
    first, last = match.groups()
    if int(first) > int(last):
        raise ValueError(f"shard pattern {pattern!r}: empty range {match.group()}")
    # bash's rule: a leading zero on either end pads every number to the wider end
    padded = any(len(end) > 1 and end.startswith("0") for end in (first, last))
    width = max(len(first), len(last)) if padded else 0
    head = pattern[:match.start()]
    tails = _expand_braces(pattern[match.end():])
    return [f"{head}{i:0{width}d}{tail}" for i in range(int(first), int(last) + 1)
            for tail in tails]


def expand_shards(pattern: str) -> list[str]:
    """Shard paths of a webdataset pattern: ``::``-separated parts, each with ``{000..041}``
    ranges and/or glob characters. Every named shard must exist."""
    shards, missing = [], []
    for part in filter(None, pattern.split("::")):
        for name in _expand_braces(part):
            if any(c in name for c in _GLOB_CHARACTERS):
                matches = sorted(glob.glob(name))
                if not matches:
                    missing.append(name)
                shards.extend(matches)
            elif Path(name).is_file():
                shards.append(name)
            else:
                missing.append(name)
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise FileNotFoundError(f"shard(s) of {pattern!r} not found: "
                                f"{', '.join(missing[:5])}{more}")
    if not shards:
        raise FileNotFoundError(f"shard pattern {pattern!r} names no files")
    return shards


class TarSample(NamedTuple):
    key: str
    image_name: str  # tar member, for error messages
    image: bytes
    caption: str


class _SampleMembers(NamedTuple):
    key: str
    image: tarfile.TarInfo
    caption: tarfile.TarInfo


def _open_tar(path: str) -> tarfile.TarFile:
    try:
        return tarfile.open(path)
    except (OSError, tarfile.TarError) as err:
        raise ValueError(f"{path}: not a readable tar file ({err})") from err


def _sample_members(tar: tarfile.TarFile, path: str) -> list[_SampleMembers]:
    """The shard's samples from its headers alone (iterating a TarFile seeks past the data).

    As in webdataset, a sample is a run of consecutive members sharing a key: the member name up
    to the first dot of its base name; the rest is the extension.
    """
    groups: list[tuple[str, dict[str, tarfile.TarInfo]]] = []
    for member in tar:
        if not member.isfile():
            continue
        folder, base = posixpath.split(member.name)
        stem, _, extension = base.partition(".")
        key = posixpath.join(folder, stem)
        if not groups or groups[-1][0] != key:
            groups.append((key, {}))
        groups[-1][1][extension.lower()] = member
    samples = []
    for key, members in groups:
        image = next((members[e] for e in IMAGE_EXTENSIONS if e in members), None)
        if image is None or CAPTION_EXTENSION not in members:
            kinds = ", ".join(f".{e}" for e in IMAGE_EXTENSIONS)
            raise ValueError(f"{path}: sample {key!r} needs an image ({kinds}) and a "
                             f".{CAPTION_EXTENSION} caption; it has {sorted(members)}")
        samples.append(_SampleMembers(key, image, members[CAPTION_EXTENSION]))
    return samples


def _read_sample(tar: tarfile.TarFile, members: _SampleMembers) -> TarSample:
    image = tar.extractfile(members.image).read()
    caption = tar.extractfile(members.caption).read().decode("utf-8").strip()
    return TarSample(members.key, members.image.name, image, caption)


def iter_tar_samples(path: str) -> Iterator[TarSample]:
    """Every sample of one shard, in file order."""
    with _open_tar(path) as tar:
        for members in _sample_members(tar, path):
            yield _read_sample(tar, members)


def count_tar_samples(path: str) -> int:
    with _open_tar(path) as tar:
        return len(_sample_members(tar, path))


def write_webdataset(csv_path: str | Path, out_dir: str | Path, samples_per_shard: int = 1000,
                     img_key: str = "filepath", caption_key: str = "caption",
                     separator: str = ",") -> str:
    """Copy a CSV dataset into tar shards ``<csv stem>-NNNNNN.tar``; returns their pattern."""
    _, rows = read_csv_rows(csv_path, [img_key, caption_key], separator)
    folder, out_dir = Path(csv_path).parent, Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = Path(csv_path).stem
    num_shards = math.ceil(len(rows) / samples_per_shard)
    for shard in range(num_shards):
        first = shard * samples_per_shard
        with tarfile.open(out_dir / f"{stem}-{shard:06d}.tar", "w") as tar:
            for i, row in enumerate(rows[first:first + samples_per_shard], start=first):
                image = folder / row[img_key]
                for name, data in ((f"{i:09d}{image.suffix.lower()}", image.read_bytes()),
                                   (f"{i:09d}.{CAPTION_EXTENSION}", row[caption_key].encode())):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return str(out_dir / f"{stem}-{{{0:06d}..{num_shards - 1:06d}}}.tar")


def _shuffled(items: Iterable[T], buffer_size: int, rng: np.random.Generator) -> Iterator[T]:
    """webdataset's shuffle buffer: yield a random one of the last ``buffer_size`` items."""
    buffer: list[T] = []
    for item in items:
        buffer.append(item)
        if len(buffer) >= buffer_size:
            i = int(rng.integers(len(buffer)))
            buffer[i], buffer[-1] = buffer[-1], buffer[i]
            yield buffer.pop()
    rng.shuffle(buffer)
    yield from buffer


class WebDataset(IterableDataset):
    """Batches ``(images, tokens)`` from webdataset shards, the same number on every rank.

    DisCo needs every rank to take the same number of equal-size steps, so the split is by
    sample, not by shard (shard sizes differ): in the epoch's shard order, global sample j goes
    to rank j % world_size; a rank's m-th sample belongs to its batch m // batch_size, and batch
    k to DataLoader worker k % workers, the order in which the DataLoader takes batches from its
    workers. Every rank and worker reads all shard headers but only its own samples' data. An
    epoch is ``batches_per_rank()`` batches per rank; the remainder of the samples is dropped.
    Shard order is shuffled per epoch (the same on every rank), samples within a worker with a
    shuffle buffer. There is no resampling: shards that hold fewer samples than
    ``num_samples`` are an error.
    """

    def __init__(self, pattern: str, transform: Transform, tokenizer: Tokenizer, batch_size: int,
                 rank: int = 0, world_size: int = 1, workers: int = 0, seed: int = 0,
                 num_samples: int | None = None, shuffle_buffer: int = 1000):
        self.pattern = pattern
        self.shards = expand_shards(pattern)
        self.transform = transform
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size
        self.workers = max(1, workers)  # num_workers=0 loads in the main process: one worker
        self.seed = seed
        self.num_samples = (num_samples if num_samples is not None
                            else sum(count_tar_samples(shard) for shard in self.shards))
        self.shuffle_buffer = shuffle_buffer
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches_per_rank(self) -> int:
        return self.num_samples // (self.world_size * self.batch_size)

    def _own_samples(self, worker: int) -> Iterator[tuple[str, TarSample]]:
        per_rank = self.batches_per_rank() * self.batch_size
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.shards))
        j = 0
        for shard in (self.shards[s] for s in order):
            with _open_tar(shard) as tar:
                for members in _sample_members(tar, shard):
                    rank, m = j % self.world_size, j // self.world_size
                    j += 1
                    if m >= per_rank:
                        return
                    if rank == self.rank and (m // self.batch_size) % self.workers == worker:
                        yield shard, _read_sample(tar, members)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if workers != self.workers:
            # The split above is fixed by the worker count given here; another count in the
            # DataLoader would make workers duplicate or skip each other's samples.
            raise ValueError(f"WebDataset was built for {self.workers} worker(s), the DataLoader "
                             f"runs {workers}")
        quota = len(range(worker, self.batches_per_rank(), self.workers)) * self.batch_size
        rng = np.random.default_rng([self.seed, self.epoch, self.rank, worker])
        images, captions, seen = [], [], 0
        for shard, sample in _shuffled(self._own_samples(worker), self.shuffle_buffer, rng):
            images.append(self.transform(load_rgb(io.BytesIO(sample.image),
                                                  f"{shard}:{sample.image_name}")))
            captions.append(sample.caption)
            seen += 1
            if len(images) == self.batch_size:
                yield torch.stack(images), self.tokenizer(captions)
                images, captions = [], []
        if seen < quota:
            raise ValueError(f"{self.pattern}: rank {self.rank} worker {worker} got {seen} of its "
                             f"{quota} samples; the shards hold fewer than num_samples="
                             f"{self.num_samples} (--train-num-samples)")

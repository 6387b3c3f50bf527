"""Reading the labelled data sets FER users have, for evaluation and training alike.

* the Kaggle ``fer2013.csv`` (columns ``emotion,pixels,Usage``), split by ``Usage``;
* the image-folder release, ``<root>/<split>/<emotion>/*.jpg|png``;
* any folder of class sub-folders (custom data), ``<root>/<class>/*``;
* FER+ (the FER2013 faces with ten human votes each, Barsoum et al., 2016) in
  two forms: the folder layout that the FER+ repository's
  ``generate_training_data.py`` writes, ``<root>/FER2013Train|FER2013Valid|FER2013Test/``
  with the 48x48 PNGs and a headerless ``label.csv`` of ``file,"(x, y, w, h)",``
  and ten vote counts in the order of :data:`FERPLUS_VOTES` (an optional
  ``<root>/fer2013_labels.csv``, ``split,file,fer2013_label,...``, gives each
  face's original FER2013 label); and what users download, Microsoft's
  ``fer2013new.csv`` (``Usage,Image name,`` and the ten vote columns) joined
  **by row order** with Kaggle's ``fer2013.csv`` (``emotion,pixels,Usage``), whose
  ``emotion`` column is then the FER2013 label. Rows with an empty image name
  (faces FER+ dropped) are skipped.

The FER2013 loaders return a :class:`Dataset`: a ``uint8`` array of shape
``(n, size, size, 1)`` and integer labels indexing ``labels``. Bad rows and
files are reported with their line number or path; by default they are skipped
with a warning (``on_error="skip"``), or the load stops with a
:class:`~fer_sdk.errors.DatasetError` (``on_error="raise"``). The FER+ readers
return a :class:`FerPlusSplit` (images and raw votes); the training recipe turns
votes into targets (:mod:`fer_sdk.train.ferplus`). Nothing here needs TensorFlow.
"""

from __future__ import annotations

import csv
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from fer_sdk.errors import DatasetError
from fer_sdk.labels import FER7, SCHEMES

__all__ = [
    "FERPLUS_SPLITS",
    "FERPLUS_VOTES",
    "IMAGE_SUFFIXES",
    "Dataset",
    "FerPlusSplit",
    "OnError",
    "is_ferplus_split",
    "load_class_folders",
    "load_fer2013_csv",
    "load_image_folders",
    "load_split",
    "read_ferplus",
    "read_ferplus_csv",
    "resolve_labels",
]

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".webp", ".tif", ".tiff"})
OnError = Literal["skip", "raise"]


@dataclass
class Dataset:
    """Images and labels held in memory.

    Attributes:
        images: ``uint8`` array ``(n, h, w, 1)``.
        labels: ``int32`` array ``(n,)`` of indices into ``names``.
        names: the label names, in index order.
        problems: one line per skipped row or file.
        targets: optional ``float32`` array ``(n, len(names))`` of soft targets (rows summing to 1),
            trained on instead of one-hot ``labels`` (FER+ vote distributions, see
            :mod:`fer_sdk.train.ferplus`); ``labels`` then holds each row's most likely label.
        sample_targets: draw one label per image and epoch from ``targets`` instead of
            training on the distribution (the FER+ ``probability`` mode).
    """

    images: np.ndarray
    labels: np.ndarray
    names: tuple[str, ...]
    problems: list[str] = field(default_factory=list)
    targets: np.ndarray | None = None
    sample_targets: bool = False

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def counts(self) -> dict[str, int]:
        """Number of examples per label (each image counted under its most likely label)."""
        binc = np.bincount(self.labels, minlength=len(self.names))
        return {name: int(c) for name, c in zip(self.names, binc, strict=True)}

    def prior(self) -> np.ndarray:
        """The share of each label in the targets (soft targets summed), ``float64`` ``(len(names),)``."""
        if self.targets is not None:
            mass = self.targets.sum(axis=0, dtype=np.float64)
        else:
            mass = np.bincount(self.labels, minlength=len(self.names)).astype(np.float64)
        return mass / max(float(mass.sum()), 1e-12)


def _problem(problems: list[str], message: str, on_error: OnError) -> None:
    if on_error == "raise":
        raise DatasetError(message)
    problems.append(message)


def _finish(
    images: list[np.ndarray], labels: list[int], names: Sequence[str], problems: list[str], where: str
) -> Dataset:
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        warnings.warn(f"{where}: skipped {len(problems)} bad item(s):\n  {shown}{more}", stacklevel=3)
    if not images:
        raise DatasetError(f"{where}: no usable images found")
    return Dataset(
        images=np.stack(images)[..., None],
        labels=np.asarray(labels, dtype=np.int32),
        names=tuple(names),
        problems=problems,
    )


def resolve_labels(scheme: str | Sequence[str]) -> tuple[str, ...]:
    """Turn a scheme name (``fer7``, ``fer6``, ``ferplus8``) or an explicit list into label names.

    Examples:
        >>> resolve_labels("fer6")
        ('angry', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """
    if isinstance(scheme, str):
        if scheme not in SCHEMES:
            raise DatasetError(f"unknown label scheme {scheme!r}; use one of {sorted(SCHEMES)} or a list")
        return SCHEMES[scheme]
    names = tuple(scheme)
    if not names or len(set(names)) != len(names):
        raise DatasetError(f"a custom label list must be non-empty and without repeats, got {names!r}")
    return names


def _target_index(folder_label: str, names: tuple[str, ...]) -> int | None:
    """Index of a source label in ``names``, merging disgust into angry for fer6."""
    if folder_label in names:
        return names.index(folder_label)
    if folder_label == "disgust" and "disgust" not in names and "angry" in names:
        return names.index("angry")
    return None


def _read_gray(path: Path, size: int) -> np.ndarray | None:
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if img is None:
        return None
    if img.shape != (size, size):
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return img


def load_class_folders(
    root: str | Path,
    labels: str | Sequence[str] | None = None,
    *,
    size: int = 48,
    on_error: OnError = "skip",
) -> Dataset:
    """Load ``root/<class>/*`` image files.

    Args:
        root: folder whose sub-folders are named after the classes.
        labels: ``"fer7"``, ``"fer6"``, an explicit list of class names, or
            ``None`` for the sorted sub-folder names. A ``disgust`` folder is
            merged into ``angry`` when the labels have no ``disgust``.
        size: images are converted to grayscale ``size x size``.
        on_error: ``"skip"`` unreadable files (with a warning listing them) or
            ``"raise"`` on the first one.

    Examples:
        >>> ds = load_class_folders("../shared/datasets/fer2013/PublicTest", "fer7")  # doctest: +SKIP
        >>> len(ds), ds.names[:2]  # doctest: +SKIP
        (3589, ('angry', 'disgust'))
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"data folder {str(root)!r} does not exist or is not a folder")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not folders:
        raise DatasetError(f"{str(root)!r} has no class sub-folders")
    names = resolve_labels(labels) if labels is not None else tuple(p.name for p in folders)
    images: list[np.ndarray] = []
    targets: list[int] = []
    problems: list[str] = []
    for folder in folders:
        index = _target_index(folder.name, names)
        if index is None:
            _problem(problems, f"{folder}: folder name is not one of the labels {list(names)}", on_error)
            continue
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            img = _read_gray(path, size)
            if img is None:
                _problem(problems, f"{path}: not a readable image", on_error)
                continue
            images.append(img)
            targets.append(index)
    return _finish(images, targets, names, problems, str(root))


def load_image_folders(
    root: str | Path,
    split: str,
    labels: str | Sequence[str] = "fer7",
    *,
    size: int = 48,
    on_error: OnError = "skip",
) -> Dataset:
    """Load one split of the image-folder release: ``root/<split>/<emotion>/*``."""
    path = Path(root) / split
    if not path.is_dir():
        raise DatasetError(f"split folder {str(path)!r} does not exist (data root {str(root)!r})")
    return load_class_folders(path, labels, size=size, on_error=on_error)


def load_fer2013_csv(
    path: str | Path,
    split: str | None,
    labels: str | Sequence[str] = "fer7",
    *,
    size: int = 48,
    on_error: OnError = "skip",
) -> Dataset:
    """Load the Kaggle ``fer2013.csv`` (``emotion,pixels,Usage``).

    Args:
        path: the CSV file.
        split: keep rows whose ``Usage`` equals this (``Training``,
            ``PublicTest``...), or ``None`` for every row.
        labels: ``"fer7"`` or ``"fer6"`` (ids follow the FER2013 order
            ``angry, disgust, fear, happy, sad, surprise, neutral``).
        size: side of the square images in the file (48 for FER2013).
        on_error: ``"skip"`` bad rows with a warning naming their line, or ``"raise"``.

    Examples:
        >>> ds = load_fer2013_csv("fer2013.csv", "Training")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"CSV file {str(path)!r} does not exist")
    names = resolve_labels(labels)
    images: list[np.ndarray] = []
    targets: list[int] = []
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"emotion", "pixels"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{path}: missing column(s) {sorted(missing)}; expected emotion,pixels,Usage")
        if split is not None and "Usage" not in (reader.fieldnames or []):
            raise DatasetError(f"{path}: no Usage column, so split {split!r} cannot be selected")
        for row in reader:
            line = reader.line_num
            if split is not None and (row.get("Usage") or "").strip() != split:
                continue
            try:
                emotion = int((row.get("emotion") or "").strip())
                if not 0 <= emotion < len(FER7):
                    raise ValueError(f"emotion id {emotion} outside 0..6")
                pixels = np.array((row.get("pixels") or "").split(), dtype=np.int64)
                if pixels.size != size * size:
                    raise ValueError(f"{pixels.size} pixel values, expected {size * size}")
                if pixels.min() < 0 or pixels.max() > 255:
                    raise ValueError("pixel values outside 0..255")
            except ValueError as exc:
                _problem(problems, f"{path}:{line}: {exc}", on_error)
                continue
            index = _target_index(FER7[emotion], names)
            if index is None:
                _problem(problems, f"{path}:{line}: label {FER7[emotion]!r} not in {list(names)}", on_error)
                continue
            images.append(pixels.astype(np.uint8).reshape(size, size))
            targets.append(index)
    return _finish(images, targets, names, problems, str(path))


def load_split(
    data: str | Path,
    split: str | None,
    labels: str | Sequence[str] = "fer7",
    *,
    size: int = 48,
    on_error: OnError = "skip",
) -> Dataset:
    """Load ``split`` from whatever ``data`` is: a CSV file, an image-folder release or class folders.

    A ``.csv`` path goes to :func:`load_fer2013_csv`; a folder holding ``split``
    goes to :func:`load_image_folders`; otherwise, with ``split=None``, the folder
    is read as class folders.
    """
    data = Path(data)
    if data.suffix.lower() == ".csv":
        return load_fer2013_csv(data, split, labels, size=size, on_error=on_error)
    if split is not None:
        return load_image_folders(data, split, labels, size=size, on_error=on_error)
    return load_class_folders(data, labels, size=size, on_error=on_error)


FERPLUS_VOTES: tuple[str, ...] = (
    "neutral",
    "happy",
    "surprise",
    "sad",
    "angry",
    "disgust",
    "fear",
    "contempt",
    "unknown",
    "not_a_face",
)
"""The ten vote columns of FER+, in file order, with fer_sdk's label names
(FER+ writes ``happiness``, ``sadness``, ``anger``, ``NF``)."""

FERPLUS_SPLITS: dict[str, str] = {
    "FER2013Train": "Training",
    "FER2013Valid": "PublicTest",
    "FER2013Test": "PrivateTest",
}
"""FER+ folder names and the FER2013 ``Usage`` each holds."""


def is_ferplus_split(data: str | Path, split: str | None) -> bool:
    """True when ``data/split`` is a FER+ folder (it has a ``label.csv``).

    Examples:
        >>> is_ferplus_split("../shared/datasets/ferplus", "FER2013Valid")  # doctest: +SKIP
        True
    """
    return split is not None and (Path(data) / split / "label.csv").is_file()


def _read_label_csv(path: Path) -> list[tuple[str, np.ndarray]]:
    rows: list[tuple[str, np.ndarray]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.reader(fh), start=1):
            if not row:
                continue
            if len(row) != 2 + len(FERPLUS_VOTES):
                raise DatasetError(
                    f"{path}:{line}: {len(row)} columns, expected file, box and {len(FERPLUS_VOTES)} vote counts"
                )
            try:
                counts = np.array([float(x) for x in row[2:]], dtype=np.float32)
            except ValueError:
                raise DatasetError(f"{path}:{line}: vote counts must be numbers, got {row[2:]}") from None
            if (counts < 0).any():
                raise DatasetError(f"{path}:{line}: negative vote count")
            rows.append((row[0], counts))
    return rows


def _fer2013_labels(root: Path, split: str) -> dict[str, str]:
    path = root / "fer2013_labels.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["file"]: r["fer2013_label"] for r in csv.DictReader(fh) if r.get("split") == split}


class FerPlusSplit:
    """One FER+ split as read, before any label mode: images, raw votes, FER2013 labels.

    Attributes:
        images: ``uint8`` array ``(n, size, size, 1)``.
        votes: ``float32`` array ``(n, 10)`` of raw vote counts (:data:`FERPLUS_VOTES` order).
        fer2013: ``int32`` array ``(n,)``: each face's FER2013 label as an index into
            :data:`~fer_sdk.labels.FER7`, ``-1`` where unknown.
        files: the image file names (or ``row N`` for the CSV form).
    """

    def __init__(self, images: np.ndarray, votes: np.ndarray, fer2013: np.ndarray, files: list[str]) -> None:
        self.images, self.votes, self.fer2013, self.files = images, votes, fer2013, files

    def __len__(self) -> int:
        return len(self.files)


def read_ferplus(root: str | Path, split: str, *, size: int = 48) -> FerPlusSplit:
    """Read the images, votes and (where ``fer2013_labels.csv`` has them) FER2013 labels of a FER+ folder split.

    Examples:
        >>> s = read_ferplus("../shared/datasets/ferplus", "FER2013Valid")  # doctest: +SKIP
        >>> len(s), s.votes.shape  # doctest: +SKIP
        (3579, (3579, 10))
    """
    root = Path(root)
    folder = root / split
    label_csv = folder / "label.csv"
    if not label_csv.is_file():
        raise DatasetError(f"{str(folder)!r} is not a FER+ split: no label.csv (data root {str(root)!r})")
    fer_labels = _fer2013_labels(root, split)
    images: list[np.ndarray] = []
    votes: list[np.ndarray] = []
    fer2013: list[int] = []
    files: list[str] = []
    for name, counts in _read_label_csv(label_csv):
        img = _read_gray(folder / name, size) if (folder / name).is_file() else None
        if img is None:
            raise DatasetError(f"{folder / name}: listed in label.csv but missing or not a readable image")
        images.append(img)
        votes.append(counts)
        label = fer_labels.get(name)
        fer2013.append(FER7.index(label) if label in FER7 else -1)
        files.append(name)
    if not images:
        raise DatasetError(f"{label_csv}: no faces listed")
    return FerPlusSplit(np.stack(images)[..., None], np.stack(votes), np.asarray(fer2013, np.int32), files)


def read_ferplus_csv(ferplus_csv: str | Path, fer2013_csv: str | Path, split: str | None) -> FerPlusSplit:
    """Join Microsoft's ``fer2013new.csv`` with Kaggle's ``fer2013.csv`` by row order.

    Args:
        ferplus_csv: ``fer2013new.csv`` (header ``Usage,Image name,neutral,...,NF``).
        fer2013_csv: ``fer2013.csv`` (header ``emotion,pixels,Usage``), the same number of rows.
        split: a ``Usage`` (``Training``, ``PublicTest``, ``PrivateTest``) or a FER+ folder
            name (``FER2013Train``...), or ``None`` for every row.

    Raises:
        DatasetError: the files differ in length or in ``Usage`` on some row, or a row is malformed.

    Examples:
        >>> s = read_ferplus_csv("fer2013new.csv", "fer2013.csv", "PublicTest")  # doctest: +SKIP
    """
    ferplus_csv, fer2013_csv = Path(ferplus_csv), Path(fer2013_csv)
    for p in (ferplus_csv, fer2013_csv):
        if not p.is_file():
            raise DatasetError(f"CSV file {str(p)!r} does not exist")
    usage = FERPLUS_SPLITS.get(split, split) if split is not None else None
    images: list[np.ndarray] = []
    votes: list[np.ndarray] = []
    fer2013: list[int] = []
    files: list[str] = []
    with ferplus_csv.open(newline="", encoding="utf-8") as fa, fer2013_csv.open(newline="", encoding="utf-8") as fb:
        plus, base = csv.reader(fa), csv.DictReader(fb)
        header = next(plus, None)
        if header is None or len(header) != 2 + len(FERPLUS_VOTES):
            raise DatasetError(f"{ferplus_csv}: expected the header Usage,Image name and {len(FERPLUS_VOTES)} votes")
        if not {"emotion", "pixels", "Usage"} <= set(base.fieldnames or []):
            raise DatasetError(f"{fer2013_csv}: expected the columns emotion,pixels,Usage")
        row_no = 0
        for row_no, (prow, brow) in enumerate(zip(plus, base, strict=False), start=2):
            where = f"{ferplus_csv}:{row_no} / {fer2013_csv}:{row_no}"
            if len(prow) != len(header):
                raise DatasetError(f"{where}: {len(prow)} columns in {ferplus_csv.name}, expected {len(header)}")
            if prow[0].strip() != (brow.get("Usage") or "").strip():
                raise DatasetError(
                    f"{where}: Usage {prow[0]!r} against {brow.get('Usage')!r}: the files are not in the same order"
                )
            if usage is not None and prow[0].strip() != usage:
                continue
            if not prow[1].strip():  # a face FER+ dropped
                continue
            try:
                counts = np.array([float(x) for x in prow[2:]], dtype=np.float32)
                pixels = np.array((brow.get("pixels") or "").split(), dtype=np.int64)
                emotion = int(brow.get("emotion") or "")
            except ValueError as exc:
                raise DatasetError(f"{where}: {exc}") from None
            if pixels.size != 48 * 48 or pixels.min() < 0 or pixels.max() > 255:
                raise DatasetError(f"{where}: expected 2304 pixel values in 0..255")
            images.append(pixels.astype(np.uint8).reshape(48, 48))
            votes.append(counts)
            fer2013.append(emotion if 0 <= emotion < len(FER7) else -1)
            files.append(prow[1].strip())
        if next(plus, None) is not None or next(base, None) is not None:
            raise DatasetError(f"{ferplus_csv} and {fer2013_csv} have different numbers of rows (joined by row order)")
    if not images:
        raise DatasetError(f"{ferplus_csv}: no faces for split {split!r}")
    return FerPlusSplit(np.stack(images)[..., None], np.stack(votes), np.asarray(fer2013, np.int32), files)

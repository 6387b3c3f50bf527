"""FER+: the FER2013 faces with ten human votes each (Barsoum et al., 2016).

Two forms are read:

* the folder layout that the FER+ repository's ``generate_training_data.py``
  writes: ``<root>/FER2013Train|FER2013Valid|FER2013Test/`` with the 48x48 PNGs
  and a headerless ``label.csv`` of ``file,"(x, y, w, h)",`` and ten vote counts in
  the order of :data:`FERPLUS_VOTES`; an optional ``<root>/fer2013_labels.csv``
  (``split,file,fer2013_label,...``) gives each face's original FER2013 label;
* what users download: Microsoft's ``fer2013new.csv`` (``Usage,Image name,`` and
  the ten vote columns) joined **by row order** with Kaggle's ``fer2013.csv``
  (``emotion,pixels,Usage``), whose ``emotion`` column is then the FER2013 label.
  Rows with an empty image name (faces FER+ dropped) are skipped.

Every face gets a target distribution over the label scheme's emotions, chosen
by a *label mode* of the FER+ paper (single stray votes are dropped first, as
the paper does; faces whose top vote is ``unknown`` or ``not a face``, or, for
``fer7``, ``contempt``, are left out):

* ``majority``: one-hot, and only faces on which one emotion has more than
  half of the votes;
* ``crossentropy``: the vote distribution as soft targets;
* ``probability``: the vote distribution, from which the training pipeline
  draws one label per face and epoch.

``fer2013_weight`` mixes FER2013's own label into any of them:
``(1 - w) * votes + w * one_hot(fer2013_label)``.

Examples:
    >>> import numpy as np
    >>> votes = np.array([[4, 0, 0, 1, 3, 2, 0, 0, 0, 0]])   # neutral 4, sad 1, angry 3, disgust 2
    >>> targets, keep = vote_targets(votes, ("angry", "disgust", "happy", "neutral"), "crossentropy")
    >>> keep.tolist(), [round(float(t), 3) for t in targets[0]]   # the single sad vote is dropped
    ([True], [0.333, 0.222, 0.0, 0.444])
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from fer_sdk.errors import DatasetError
from fer_sdk.labels import FER7

if TYPE_CHECKING:
    from fer_sdk.train.data import Dataset

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

LabelMode = Literal["majority", "probability", "crossentropy"]
LABEL_MODES: tuple[str, ...] = ("majority", "probability", "crossentropy")

_NON_EMOTIONS = frozenset({"unknown", "not_a_face"})


def is_ferplus_split(data: str | Path, split: str | None) -> bool:
    """True when ``data/split`` is a FER+ folder (it has a ``label.csv``).

    Examples:
        >>> is_ferplus_split("../shared/datasets/ferplus", "FER2013Valid")  # doctest: +SKIP
        True
    """
    return split is not None and (Path(data) / split / "label.csv").is_file()


def vote_targets(
    votes: np.ndarray,
    names: Sequence[str],
    mode: LabelMode = "crossentropy",
    *,
    drop_single: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Target distributions over ``names`` from FER+ vote counts.

    Args:
        votes: ``(n, 10)`` vote counts in the order of :data:`FERPLUS_VOTES`.
        names: the label scheme (each a name of :data:`FERPLUS_VOTES`).
        mode: ``majority``, ``probability`` or ``crossentropy`` (see the module).
        drop_single: set single votes to zero first (the FER+ paper's outlier removal).

    Returns:
        ``(targets, keep)``: ``(n, len(names))`` float32 rows summing to 1 (zero
        rows where ``keep`` is False) and the boolean mask of usable faces.
    """
    unknown = [n for n in names if n not in FERPLUS_VOTES or n in _NON_EMOTIONS]
    if unknown:
        raise DatasetError(f"labels {unknown} are not FER+ emotions; FER+ votes for {list(FERPLUS_VOTES[:8])}")
    if mode not in LABEL_MODES:
        raise DatasetError(f"unknown label mode {mode!r}; use one of {list(LABEL_MODES)}")
    v = np.asarray(votes, dtype=np.float64).copy()
    if v.ndim != 2 or v.shape[1] != len(FERPLUS_VOTES):
        raise DatasetError(f"votes must have shape (n, {len(FERPLUS_VOTES)}), got {v.shape}")
    if drop_single:
        v[v <= 1.0] = 0.0
    total = v.sum(axis=1)
    top = np.argmax(v, axis=1)
    columns = [FERPLUS_VOTES.index(n) for n in names]
    # a face counts when its (first) most-voted choice is one of the scheme's emotions
    keep = (total > 0) & np.isin(top, columns)
    emotions = v[:, columns]
    if mode == "majority":
        keep &= v.max(axis=1) > 0.5 * total
        targets = np.zeros_like(emotions)
        targets[np.arange(len(v)), np.argmax(emotions, axis=1)] = 1.0
    else:
        sums = emotions.sum(axis=1, keepdims=True)
        targets = np.divide(emotions, sums, out=np.zeros_like(emotions), where=sums > 0)
    targets[~keep] = 0.0
    return targets.astype(np.float32), keep


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
    from fer_sdk.train.data import _read_gray

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


def ferplus_dataset(
    raw: FerPlusSplit,
    labels: str | Sequence[str] = "fer7",
    mode: LabelMode = "crossentropy",
    *,
    fer2013_weight: float = 0.0,
    where: str = "FER+",
) -> Dataset:
    """A training :class:`~fer_sdk.train.data.Dataset` from a FER+ split: targets by ``mode``.

    ``Dataset.labels`` is each kept face's most likely target label and
    ``Dataset.targets`` the target distributions (``Dataset.sample_targets`` is set in
    ``probability`` mode). ``fer2013_weight`` mixes in the FER2013 label where known.
    """
    from fer_sdk.train.data import Dataset, resolve_labels

    if not 0.0 <= fer2013_weight <= 1.0:
        raise DatasetError(f"fer2013_weight must be in [0, 1], got {fer2013_weight}")
    names = resolve_labels(labels)
    targets, keep = vote_targets(raw.votes, names, mode)
    if fer2013_weight > 0:
        known = raw.fer2013 >= 0
        index = np.array([names.index(FER7[i]) if i >= 0 and FER7[i] in names else -1 for i in raw.fer2013])
        usable = known & (index >= 0)
        one_hot = np.zeros_like(targets)
        one_hot[usable, index[usable]] = 1.0
        targets = np.where(usable[:, None], (1 - fer2013_weight) * targets + fer2013_weight * one_hot, targets)
        targets[~keep] = 0.0
    if not keep.any():
        raise DatasetError(f"{where}: no face has a usable vote for {list(names)} in mode {mode!r}")
    kept = targets[keep].astype(np.float32)
    return Dataset(
        images=raw.images[keep],
        labels=np.argmax(kept, axis=1).astype(np.int32),
        names=tuple(names),
        targets=kept,
        sample_targets=mode == "probability",
    )

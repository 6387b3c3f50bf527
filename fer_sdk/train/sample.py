"""Small data sets in the FER2013 image-folder layout, for tutorials, examples and tests.

:func:`sample_fer2013` copies the first images of each emotion from the real
release; :func:`standin_fer2013` writes gray noise images instead, for runs
without the data set (the pipeline runs, a model learns nothing useful). Both
write ``<split>/<emotion>/<image>`` folders that :class:`~fer_sdk.train.TrainConfig`
takes as ``data``.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = standin_fer2013(Path(tempfile.mkdtemp()) / "data", per_class=4)
    >>> sorted(p.name for p in root.iterdir())
    ['PublicTest', 'Training']
    >>> [len(list((root / split / "happy").iterdir())) for split in ("Training", "PublicTest")]
    [4, 1]
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np

from fer_sdk.errors import DatasetError
from fer_sdk.labels import FER7

__all__ = ["SPLIT_SHARES", "sample_fer2013", "standin_fer2013"]

SPLIT_SHARES: dict[str, float] = {"Training": 1.0, "PublicTest": 0.25}
"""Split name -> the share of ``per_class`` images of each emotion it gets."""


def _count(per_class: int, share: float) -> int:
    return max(1, round(per_class * share))


def sample_fer2013(
    source: str | Path, dest: str | Path, per_class: int, shares: Mapping[str, float] = SPLIT_SHARES
) -> Path:
    """Copy the first ``per_class`` images of each emotion (by file name) of each split in ``shares``.

    Args:
        source: the FER2013 image-folder release (``<split>/<emotion>/*.jpg``).
        dest: where the smaller copy is written, in the same layout.
        per_class: images per emotion, times the split's share (at least one).
        shares: split name -> share of ``per_class`` (``PublicTest`` gets a quarter by default).

    Returns:
        ``dest``.

    Raises:
        DatasetError: a split has no images of an emotion (``source`` is not the FER2013 image folders).

    Examples:
        >>> sample_fer2013("../shared/datasets/fer2013", "/tmp/fer-small", per_class=40)  # doctest: +SKIP
        PosixPath('/tmp/fer-small')
    """
    source, dest = Path(source), Path(dest)
    for split, share in shares.items():
        for emotion in FER7:
            files = sorted((source / split / emotion).glob("*.jpg"))[: _count(per_class, share)]
            if not files:
                raise DatasetError(f"no images in {source / split / emotion}: is {source} the FER2013 image folders?")
            (dest / split / emotion).mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copyfile(f, dest / split / emotion / f.name)
    return dest


def standin_fer2013(
    dest: str | Path, per_class: int, shares: Mapping[str, float] = SPLIT_SHARES, seed: int = 0
) -> Path:
    """Write 48x48 gray noise images, one brightness per emotion, in the FER2013 layout.

    Args:
        dest: the folder to fill (``<split>/<emotion>/<i>.png``).
        per_class: images per emotion, times the split's share (at least one).
        shares: split name -> share of ``per_class``.
        seed: random seed, so runs are repeatable.

    Returns:
        ``dest``.
    """
    dest = Path(dest)
    rng = np.random.default_rng(seed)
    for split, share in shares.items():
        for k, emotion in enumerate(FER7):
            folder = dest / split / emotion
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(_count(per_class, share)):
                img = rng.integers(0, 60, (48, 48), dtype=np.uint8) + np.uint8(30 * k)
                cv2.imwrite(str(folder / f"{i}.png"), img)
    return dest

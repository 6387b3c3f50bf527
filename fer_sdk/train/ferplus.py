"""FER+ training targets: the ten human votes per face (Barsoum et al., 2016) as label distributions.

Reading the FER+ forms (the folder layout and Microsoft's ``fer2013new.csv``
joined with Kaggle's ``fer2013.csv``) is :mod:`fer_sdk.datasets`'s
(:func:`~fer_sdk.datasets.read_ferplus`, :func:`~fer_sdk.datasets.read_ferplus_csv`).

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
``(1 - w) * votes + w * one_hot(fer2013_label)``; ``fer2013_weight_split``, where
given, is ``w`` instead on the faces the voters split on (no emotion has more than
half of the votes), so that FER2013's label breaks the voters' ties without
overruling a clear majority.

Examples:
    >>> import numpy as np
    >>> votes = np.array([[4, 0, 0, 1, 3, 2, 0, 0, 0, 0]])   # neutral 4, sad 1, angry 3, disgust 2
    >>> targets, keep = vote_targets(votes, ("angry", "disgust", "happy", "neutral"), "crossentropy")
    >>> keep.tolist(), [round(float(t), 3) for t in targets[0]]   # the single sad vote is dropped
    ([True], [0.333, 0.222, 0.0, 0.444])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from fer_sdk.datasets import FERPLUS_VOTES, Dataset, FerPlusSplit, resolve_labels
from fer_sdk.errors import DatasetError
from fer_sdk.labels import FER7

LabelMode = Literal["majority", "probability", "crossentropy"]
LABEL_MODES: tuple[str, ...] = ("majority", "probability", "crossentropy")

_NON_EMOTIONS = frozenset({"unknown", "not_a_face"})


def vote_targets(
    votes: np.ndarray,
    names: Sequence[str],
    mode: LabelMode = "crossentropy",
    *,
    drop_single: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Target distributions over ``names`` from FER+ vote counts.

    Args:
        votes: ``(n, 10)`` vote counts in the order of :data:`~fer_sdk.datasets.FERPLUS_VOTES`.
        names: the label scheme (each a name of :data:`~fer_sdk.datasets.FERPLUS_VOTES`).
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
    v = np.asarray(votes, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != len(FERPLUS_VOTES):
        raise DatasetError(f"votes must have shape (n, {len(FERPLUS_VOTES)}), got {v.shape}")
    if drop_single:
        v = _drop_single(v)
    total = v.sum(axis=1)
    top = np.argmax(v, axis=1)
    columns = [FERPLUS_VOTES.index(n) for n in names]
    # a face counts when its (first) most-voted choice is one of the scheme's emotions
    keep = (total > 0) & np.isin(top, columns)
    emotions = v[:, columns]
    if mode == "majority":
        keep &= _has_majority(v)
        targets = np.zeros_like(emotions)
        targets[np.arange(len(v)), np.argmax(emotions, axis=1)] = 1.0
    else:
        sums = emotions.sum(axis=1, keepdims=True)
        targets = np.divide(emotions, sums, out=np.zeros_like(emotions), where=sums > 0)
    targets[~keep] = 0.0
    return targets.astype(np.float32), keep


def _drop_single(votes: np.ndarray) -> np.ndarray:
    """Vote counts with single votes set to zero (the FER+ paper's outlier removal)."""
    v = np.asarray(votes, dtype=np.float64).copy()
    v[v <= 1.0] = 0.0
    return v


def _has_majority(votes: np.ndarray) -> np.ndarray:
    """Whether one choice has more than half of a face's votes, per face."""
    return np.asarray(votes.max(axis=1) > 0.5 * votes.sum(axis=1))


def fer2013_weights(votes: np.ndarray, weight: float, split_weight: float | None = None) -> np.ndarray:
    """Per face, the share of the FER2013 label in its target: ``split_weight`` where the voters split.

    A face's voters split when no choice has more than half of its votes (single
    votes dropped first); ``split_weight=None`` means ``weight`` everywhere.

    Examples:
        >>> votes = np.array([[9, 1, 0, 0, 0, 0, 0, 0, 0, 0], [4, 3, 0, 3, 0, 0, 0, 0, 0, 0]])
        >>> fer2013_weights(votes, 0.25, 0.75).tolist()
        [0.25, 0.75]
    """
    for name, w in (("fer2013_weight", weight), ("fer2013_weight_split", split_weight)):
        if w is not None and not 0.0 <= w <= 1.0:
            raise DatasetError(f"{name} must be in [0, 1], got {w}")
    out = np.full(len(votes), weight, dtype=np.float64)
    if split_weight is not None:
        out[~_has_majority(_drop_single(votes))] = split_weight
    return out


def mix_fer2013(targets: np.ndarray, fer2013: np.ndarray, names: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """``(1 - w) * targets + w * one_hot(fer2013_label)`` per face, where its FER2013 label is known and in ``names``.

    Args:
        targets: ``(n, len(names))`` target distributions (e.g. :func:`vote_targets`).
        fer2013: ``(n,)`` FER2013 labels as :data:`~fer_sdk.labels.FER7` indices, -1 where unknown.
        names: the label scheme of ``targets``.
        weights: ``(n,)`` the FER2013 label's share per face (:func:`fer2013_weights`).

    Examples:
        >>> mix_fer2013(np.array([[1.0, 0.0]]), np.array([3]), ("angry", "happy"), np.array([0.25])).tolist()
        [[0.75, 0.25]]
    """
    index = np.array([names.index(FER7[i]) if i >= 0 and FER7[i] in names else -1 for i in fer2013], dtype=np.int64)
    usable = index >= 0
    one_hot = np.zeros_like(targets)
    one_hot[usable, index[usable]] = 1.0
    w = np.asarray(weights, dtype=np.float64)[:, None]
    return np.where(usable[:, None], (1 - w) * targets + w * one_hot, targets).astype(np.float32)


def ferplus_dataset(
    raw: FerPlusSplit,
    labels: str | Sequence[str] = "fer7",
    mode: LabelMode = "crossentropy",
    *,
    fer2013_weight: float = 0.0,
    fer2013_weight_split: float | None = None,
    where: str = "FER+",
) -> Dataset:
    """A training :class:`~fer_sdk.datasets.Dataset` from a FER+ split: targets by ``mode``.

    ``Dataset.labels`` is each kept face's most likely target label and
    ``Dataset.targets`` the target distributions (``Dataset.sample_targets`` is set in
    ``probability`` mode). ``fer2013_weight`` mixes in the FER2013 label where known,
    ``fer2013_weight_split`` (if given) instead of it where the voters split
    (:func:`fer2013_weights`).
    """
    weights = fer2013_weights(raw.votes, fer2013_weight, fer2013_weight_split)
    names = resolve_labels(labels)
    targets, keep = vote_targets(raw.votes, names, mode)
    if weights.any():
        targets = mix_fer2013(targets, raw.fer2013, names, weights)
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

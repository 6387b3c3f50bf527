"""Metrics of predicted probabilities against labels or human votes, for evaluation and training alike.

:func:`compute_metrics`: accuracy, per-class accuracy, macro F1, confusion and the
6-class merge against integer labels. :func:`vote_metrics`: agreement with the
FER+ voters, expected calibration error and the reliability diagram's bins.
Nothing here needs TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fer_sdk.labels import FER7_TO_FER6

__all__ = ["compute_metrics", "vote_metrics"]


def compute_metrics(y_true: np.ndarray, probs: np.ndarray, names: Sequence[str]) -> dict[str, Any]:
    """Metrics of predictions ``probs`` (n, k) against integer labels ``y_true``.

    Returns a dict with ``n``, ``accuracy``, ``per_class`` (recall per label),
    ``macro_f1``, ``confusion`` (rows: true, columns: predicted) and, for a
    model whose labels include both ``angry`` and ``disgust``,
    ``accuracy_6class`` (disgust merged into angry on both sides).

    Examples:
        >>> import numpy as np
        >>> m = compute_metrics(np.array([0, 1]), np.array([[0.9, 0.1], [0.6, 0.4]]), ["a", "b"])
        >>> m["accuracy"], m["per_class"]
        (0.5, {'a': 1.0, 'b': 0.0})
    """
    names = list(names)
    k = len(names)
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.argmax(probs, axis=1) if len(probs) else np.zeros(0, np.int64)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    tp = np.diag(confusion).astype(np.float64)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    n = len(y_true)
    metrics: dict[str, Any] = {
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "per_class": {name: float(r) for name, r in zip(names, recall, strict=True)},
        "macro_f1": float(f1[support > 0].mean()) if (support > 0).any() else 0.0,
        "labels": names,
        "confusion": confusion.tolist(),
    }
    if "disgust" in names and "angry" in names:
        merged = np.array([FER7_TO_FER6.get(name, name) for name in names])
        metrics["accuracy_6class"] = float(np.mean(merged[y_true] == merged[y_pred])) if n else 0.0
    return metrics


def vote_metrics(
    probs: np.ndarray, votes: np.ndarray, names: Sequence[str], fer2013: np.ndarray | None = None, *, bins: int = 15
) -> dict[str, Any]:
    """Agreement of predictions ``probs`` (n, k) with the FER+ voters.

    Args:
        probs: the model's probabilities over ``names``.
        votes: ``(n, 10)`` raw FER+ vote counts (:data:`fer_sdk.datasets.FERPLUS_VOTES` order).
        names: the model's labels (each a FER+ emotion).
        fer2013: each face's FER2013 label as an index into FER7 (``-1``: unknown), optional.
        bins: bins of the calibration error.

    Returns a dict with:

    * ``vote_accuracy``: the top label is the most-voted emotion (on a tie, the first
      of the tied choices in FER+'s column order), on the faces whose most-voted
      choice is one of ``names`` (``n`` of them: for a seven-label model, faces whose
      top vote is contempt, unknown or not-a-face are left out);
    * ``majority_accuracy``: the same on the faces where one emotion has more than
      half of all the face's votes (``n_majority``);
    * ``balanced_accuracy``: the mean over the emotions of ``per_class`` (the
      ``vote_accuracy`` of the faces whose most-voted emotion is that one);
    * ``human_agreement``: the mean probability the model gives to the emotion of a
      randomly drawn voter (among the voters who chose one of ``names``);
    * ``ece``: expected calibration error of the top score against the vote, ``bins``
      equal-width bins: ``sum_b |B|/n * |mean top score - mean share of the votes
      for the top label|`` (a calibrated model's top score is the chance that a voter
      agrees with it);
    * ``fer2013_accuracy``: the top label is the face's FER2013 label, on the faces
      whose FER2013 label is known (``n_fer2013``), when ``fer2013`` is given;
    * ``confusion`` (rows: most-voted emotion; columns: top label) and ``reliability``
      (per bin: count, mean score, mean vote share).

    Examples:
        >>> import numpy as np
        >>> votes = np.array([[0, 9, 1, 0, 0, 0, 0, 0, 0, 0], [5, 0, 0, 5, 0, 0, 0, 0, 0, 0]])  # neutral first
        >>> m = vote_metrics(np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6]]), votes, ["happy", "sad", "neutral"])
        >>> m["vote_accuracy"], m["majority_accuracy"], m["n_majority"], round(m["human_agreement"], 3)
        (1.0, 1.0, 1, 0.6)
    """
    from fer_sdk.datasets import FERPLUS_VOTES
    from fer_sdk.labels import FER7

    names = list(names)
    k = len(names)
    v = np.asarray(votes, dtype=np.float64)
    columns = [FERPLUS_VOTES.index(n) for n in names]
    first = np.argmax(v, axis=1)  # the most-voted choice; a tie goes to the first in FER+'s column order
    scored = (v.max(axis=1) > 0) & np.isin(first, columns)
    ev = v[scored][:, columns]
    p = np.asarray(probs, dtype=np.float64)[scored]
    pred = np.argmax(p, axis=1)
    truth = np.array([columns.index(c) for c in first[scored]], dtype=np.int64)
    hit = pred == truth
    top = v[scored].max(axis=1)
    majority = top > 0.5 * v[scored].sum(axis=1)
    per_class: dict[str, float] = {}
    for j, name in enumerate(names):
        rows = truth == j
        if rows.any():
            per_class[name] = float(hit[rows].mean())
    share = ev / np.maximum(ev.sum(axis=1, keepdims=True), 1e-12)
    agreement = float(np.sum(p * share, axis=1).mean()) if len(p) else 0.0
    conf = p.max(axis=1) if len(p) else np.zeros(0)
    agree_top = share[np.arange(len(share)), pred]
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    reliability = []
    for b in range(bins):
        sel = which == b
        if sel.any():
            ece += sel.mean() * abs(conf[sel].mean() - agree_top[sel].mean())
            reliability.append(
                {
                    "bin": [float(edges[b]), float(edges[b + 1])],
                    "count": int(sel.sum()),
                    "score": float(conf[sel].mean()),
                    "vote_share": float(agree_top[sel].mean()),
                }
            )
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, pred), 1)
    out: dict[str, Any] = {
        "n": int(scored.sum()),
        "vote_accuracy": float(hit.mean()) if len(hit) else 0.0,
        "majority_accuracy": float(hit[majority].mean()) if majority.any() else 0.0,
        "n_majority": int(majority.sum()),
        "balanced_accuracy": float(np.mean(list(per_class.values()))) if per_class else 0.0,
        "human_agreement": agreement,
        "ece": float(ece),
        "per_class": per_class,
        "labels": names,
        "confusion": confusion.tolist(),
        "reliability": reliability,
    }
    if fer2013 is not None:
        f = np.asarray(fer2013)
        known = f >= 0
        target = np.array([names.index(FER7[i]) if i >= 0 and FER7[i] in names else -1 for i in f])
        all_pred = np.argmax(np.asarray(probs), axis=1)
        out["fer2013_accuracy"] = float(np.mean(all_pred[known] == target[known])) if known.any() else None
        out["n_fer2013"] = int(known.sum())
    return out

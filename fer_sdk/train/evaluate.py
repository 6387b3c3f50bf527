"""Evaluation metrics: accuracy, per-class accuracy, macro F1, confusion, 6-class merge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fer_sdk.labels import FER7_TO_FER6


def predict_probs(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities of a Keras model on ``images`` (float32, already scaled), batch by batch."""
    outs = []
    for start in range(0, len(images), batch_size):
        outs.append(np.asarray(model(images[start : start + batch_size], training=False), dtype=np.float32))
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


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

"""Evaluate a classifier on a labelled data set (FER2013 splits, CSV or class folders)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from fer_sdk.errors import DatasetError

__all__ = ["EvaluationReport", "evaluate"]


class EvaluationReport(BaseModel):
    """Metrics of one evaluation (see :func:`evaluate`)."""

    model: str
    data: str
    split: str | None
    n: int
    labels: list[str]
    accuracy: float
    per_class: dict[str, float]
    macro_f1: float
    confusion: list[list[int]]
    accuracy_6class: float | None = None
    tta_flip: dict[str, Any] | None = None

    def table(self) -> str:
        """A human-readable report: overall and per-class accuracy, and the confusion matrix."""
        lines = [
            f"model: {self.model}",
            f"data: {self.data} split {self.split} ({self.n} images)",
            f"accuracy: {self.accuracy:.4f}   macro F1: {self.macro_f1:.4f}",
        ]
        if self.accuracy_6class is not None:
            lines.append(f"accuracy, 6 classes (disgust merged into angry): {self.accuracy_6class:.4f}")
        if self.tta_flip is not None:
            lines.append(f"accuracy with horizontal-flip TTA: {self.tta_flip['accuracy']:.4f}")
        lines.append("per-class accuracy:")
        for name, acc in self.per_class.items():
            lines.append(f"  {name:10s} {acc:.4f}")
        width = max(6, *(len(n) for n in self.labels)) + 1
        lines.append("confusion (rows: true, columns: predicted):")
        lines.append(" " * width + "".join(f"{n[:7]:>8s}" for n in self.labels))
        for name, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{name:<{width}s}" + "".join(f"{v:8d}" for v in row))
        return "\n".join(lines)


def evaluate(
    data: str | Path,
    split: str | None = "PublicTest",
    model: str | Path | None = None,
    *,
    tta: bool = False,
    batch_size: int = 256,
    classifier_options: Mapping[str, Any] | None = None,
) -> EvaluationReport:
    """Classify every image of a labelled split with a model and compute the metrics.

    Images are classified through :meth:`fer_sdk.EmotionRecognizer.classify`,
    the same path applications use for face crops.

    Args:
        data: ``fer2013.csv``, an image-folder release (``data/split/emotion/*``)
            or, with ``split=None``, a folder of class folders.
        split: the split to evaluate (``PublicTest`` by default).
        model: a model folder, ``.keras`` file or bundled preset; the bundled
            default model when ``None``.
        tta: also report accuracy with horizontal-flip test-time augmentation.
        batch_size: faces per forward pass.
        classifier_options: more options for the classifier, e.g.
            ``{"precision": "float32"}`` for the Keras classifier in float32 only.

    Examples:
        >>> from fer_sdk.evaluation import evaluate
        >>> report = evaluate("../shared/datasets/fer2013", "PublicTest")  # doctest: +SKIP
        >>> print(report.table())  # doctest: +SKIP
    """
    from fer_sdk.recognizer import EmotionRecognizer
    from fer_sdk.train.data import load_split
    from fer_sdk.train.evaluate import compute_metrics

    rec = EmotionRecognizer(
        classifier=str(model) if model is not None else "auto",
        classifier_options={"batch_size": batch_size, **(classifier_options or {})},
        detector="haar",
    )
    names = list(rec.labels)
    size = int(rec.classifier.preprocessing.get("size", 48)) if hasattr(rec.classifier, "preprocessing") else 48
    ds = load_split(data, split, names, size=size)
    if list(ds.names) != names:
        raise DatasetError(f"data labels {ds.names} do not match the model's labels {names}")
    probs = _probs(rec, ds.images[..., 0], batch_size)
    metrics = compute_metrics(ds.labels, probs, names)
    tta_metrics = None
    if tta:
        flipped = _probs(rec, ds.images[:, :, ::-1, 0], batch_size)
        tta_metrics = compute_metrics(ds.labels, (probs + flipped) / 2.0, names)
    return EvaluationReport(
        model=str(model) if model is not None else "bundled default",
        data=str(data),
        split=split,
        n=metrics["n"],
        labels=names,
        accuracy=metrics["accuracy"],
        per_class=metrics["per_class"],
        macro_f1=metrics["macro_f1"],
        confusion=metrics["confusion"],
        accuracy_6class=metrics.get("accuracy_6class"),
        tta_flip=tta_metrics,
    )


def _probs(rec: Any, images: np.ndarray, batch_size: int) -> np.ndarray:
    out = []
    for start in range(0, len(images), batch_size):
        preds = rec.classify(np.ascontiguousarray(images[start : start + batch_size]))
        out.append(np.array([[p.scores[n] for n in rec.labels] for p in preds]))
    return np.concatenate(out)

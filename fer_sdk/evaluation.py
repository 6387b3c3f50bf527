"""Evaluate a classifier on a labelled data set (FER2013 splits, CSV or class folders)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from fer_sdk.errors import DatasetError

__all__ = ["EvaluationReport", "VoteEvaluationReport", "evaluate", "evaluate_votes", "predict_probs"]


def _class_lines(
    title: str, per_class: Mapping[str, float], rows: str, labels: list[str], confusion: list[list[int]]
) -> list[str]:
    """The per-class and confusion-matrix part of a report's table (``rows`` names what the rows are)."""
    lines = [title, *(f"  {name:10s} {acc:.4f}" for name, acc in per_class.items())]
    width = max(6, *(len(n) for n in labels)) + 1
    lines.append(f"confusion (rows: {rows}, columns: predicted):")
    lines.append(" " * width + "".join(f"{n[:7]:>8s}" for n in labels))
    for name, row in zip(labels, confusion, strict=True):
        lines.append(f"{name:<{width}s}" + "".join(f"{v:8d}" for v in row))
    return lines


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
        lines += _class_lines("per-class accuracy:", self.per_class, "true", self.labels, self.confusion)
        return "\n".join(lines)


class VoteEvaluationReport(BaseModel):
    """Agreement with people: a model on a FER+ split (ten human votes per face, see :func:`evaluate`).

    The metrics are defined in :func:`fer_sdk.metrics.vote_metrics`.
    """

    model: str
    data: str
    split: str | None
    decision: str
    n: int
    labels: list[str]
    vote_accuracy: float
    majority_accuracy: float
    n_majority: int
    balanced_accuracy: float
    human_agreement: float
    ece: float
    fer2013_accuracy: float | None = None
    n_fer2013: int | None = None
    per_class: dict[str, float]
    confusion: list[list[int]]
    reliability: list[dict[str, Any]]
    tta_flip: dict[str, Any] | None = None

    def table(self) -> str:
        """A human-readable report: the agreement metrics, per-emotion agreement and the confusion matrix."""
        lines = [
            f"model: {self.model} (decision rule: {self.decision})",
            f"data: {self.data} split {self.split} ({self.n} faces whose most-voted choice is one of the labels)",
            f"vote accuracy: {self.vote_accuracy:.4f}   majority accuracy: {self.majority_accuracy:.4f} "
            f"({self.n_majority} faces)   balanced accuracy: {self.balanced_accuracy:.4f}",
            f"human agreement: {self.human_agreement:.4f}   ECE (15 bins): {self.ece:.4f}",
        ]
        if self.fer2013_accuracy is not None:
            lines.append(f"FER2013-label accuracy: {self.fer2013_accuracy:.4f} ({self.n_fer2013} faces)")
        if self.tta_flip is not None:
            lines.append(f"vote accuracy with horizontal-flip TTA: {self.tta_flip['vote_accuracy']:.4f}")
        per_class = "per-emotion vote accuracy (faces whose most-voted emotion it is):"
        lines += _class_lines(per_class, self.per_class, "most-voted emotion", self.labels, self.confusion)
        return "\n".join(lines)


def _recognizer(model: str | Path | None, batch_size: int, classifier_options: Mapping[str, Any] | None) -> Any:
    from fer_sdk.recognizer import EmotionRecognizer

    return EmotionRecognizer(
        classifier=str(model) if model is not None else "auto",
        classifier_options={"batch_size": batch_size, **(classifier_options or {})},
        detector="haar",
    )


def _input_size(rec: Any) -> int:
    return int(rec.classifier.preprocessing.get("size", 48)) if hasattr(rec.classifier, "preprocessing") else 48


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
    the same path applications use for face crops. On a FER+ split the labels are
    the faces' FER2013 labels (from ``fer2013_labels.csv``), on FER+'s original
    pixels; :func:`evaluate_votes` measures agreement with the FER+ voters instead.

    Args:
        data: ``fer2013.csv``, an image-folder release (``data/split/emotion/*``),
            a FER+ folder layout (``data/FER2013Valid/label.csv``) or, with
            ``split=None``, a folder of class folders.
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
    from fer_sdk.datasets import Dataset, is_ferplus_split, load_split, read_ferplus
    from fer_sdk.labels import FER7
    from fer_sdk.metrics import compute_metrics

    rec = _recognizer(model, batch_size, classifier_options)
    names = list(rec.labels)
    size = _input_size(rec)
    if split is not None and is_ferplus_split(data, split):
        raw = read_ferplus(data, split, size=size)
        target = np.array([names.index(FER7[i]) if i >= 0 and FER7[i] in names else -1 for i in raw.fer2013])
        if not (target >= 0).any():
            raise DatasetError(f"{data}: no FER2013 labels for {split} (fer2013_labels.csv) to evaluate against")
        ds = Dataset(images=raw.images[target >= 0], labels=target[target >= 0].astype(np.int32), names=tuple(names))
    else:
        ds = load_split(data, split, names, size=size)
    if list(ds.names) != names:
        raise DatasetError(f"data labels {ds.names} do not match the model's labels {names}")
    probs = predict_probs(rec, ds.images[..., 0], batch_size)
    metrics = compute_metrics(ds.labels, probs, names)
    tta_metrics = None
    if tta:
        flipped = predict_probs(rec, ds.images[:, :, ::-1, 0], batch_size)
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


def evaluate_votes(
    data: str | Path,
    split: str = "FER2013Valid",
    model: str | Path | None = None,
    *,
    tta: bool = False,
    batch_size: int = 256,
    classifier_options: Mapping[str, Any] | None = None,
) -> VoteEvaluationReport:
    """Measure how well a model agrees with people: a FER+ split, ten human votes per face.

    The metrics (``vote_accuracy``, ``majority_accuracy``, ``balanced_accuracy``,
    ``human_agreement``, ``ece``, ``fer2013_accuracy``) are defined in
    :func:`fer_sdk.metrics.vote_metrics`. Arguments as for :func:`evaluate`;
    ``classifier_options={"decision": "balanced"}`` scores that decision rule.

    Raises:
        DatasetError: ``data/split`` is not a FER+ split (no ``label.csv``).

    Examples:
        >>> from fer_sdk.evaluation import evaluate_votes
        >>> report = evaluate_votes("../shared/datasets/ferplus", "FER2013Valid")  # doctest: +SKIP
        >>> round(report.majority_accuracy, 2)  # doctest: +SKIP
        0.88
    """
    from fer_sdk.datasets import read_ferplus
    from fer_sdk.metrics import vote_metrics

    rec = _recognizer(model, batch_size, classifier_options)
    raw = read_ferplus(data, split, size=_input_size(rec))
    names = list(rec.labels)
    probs = predict_probs(rec, raw.images[..., 0], batch_size)
    metrics = vote_metrics(probs, raw.votes, names, raw.fer2013)
    tta_metrics = None
    if tta:
        flipped = predict_probs(rec, raw.images[:, :, ::-1, 0], batch_size)
        tta_metrics = vote_metrics((probs + flipped) / 2.0, raw.votes, names, raw.fer2013)
        tta_metrics = {k: v for k, v in tta_metrics.items() if k not in ("confusion", "reliability")}
    rule = getattr(rec.classifier, "decision_rule", None)
    requested = str(rec.options.classifier_options.get("decision", "auto"))
    return VoteEvaluationReport(
        model=str(model) if model is not None else "bundled default",
        data=str(data),
        split=split,
        decision=rule(requested) if callable(rule) else requested,
        tta_flip=tta_metrics,
        **{k: v for k, v in metrics.items() if k in VoteEvaluationReport.model_fields},
    )


def predict_probs(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(n, k)`` of a model on many images, ``batch_size`` images at a time.

    The one batched-probabilities function of evaluation, training and the
    benchmarks. ``model`` is one of:

    * an :class:`~fer_sdk.EmotionRecognizer`: ``images`` are face crops (a uint8
      batch ``(n, h, w)`` or ``(n, h, w, c)``), classified through
      :meth:`~fer_sdk.EmotionRecognizer.classify`, the path applications use;
      columns in the order of ``model.labels``, ``float64``;
    * an :class:`~fer_sdk.EmotionClassifier`: ``images`` are a prepared batch,
      passed to its :meth:`~fer_sdk.EmotionClassifier.predict_proba`;
    * a Keras model (the training recipe's): ``images`` are its ``float32`` input,
      already scaled; it is called with ``training=False``, ``float32``.

    Args:
        model: what gives the probabilities (see above).
        images: the images, first axis the batch.
        batch_size: images per call, which bounds the memory used at a time.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import EmotionRecognizer
        >>> rec = EmotionRecognizer()
        >>> predict_probs(rec, np.zeros((3, 48, 48), np.uint8), batch_size=2).shape
        (3, 7)
    """
    from fer_sdk.interfaces import EmotionClassifier
    from fer_sdk.recognizer import EmotionRecognizer

    out: list[np.ndarray] = []
    for start in range(0, len(images), batch_size):
        chunk = images[start : start + batch_size]
        if isinstance(model, EmotionRecognizer):
            preds = model.classify(np.ascontiguousarray(chunk))
            out.append(np.array([[p.scores[n] for n in model.labels] for p in preds]))
        elif isinstance(model, EmotionClassifier):
            out.append(np.asarray(model.predict_proba(chunk)))
        else:
            out.append(np.asarray(model(chunk, training=False), dtype=np.float32))
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)

"""Figures as PNG files, drawn with matplotlib (``pip install 'fer_sdk[plots]'``).

Evaluation (:func:`plot_confusion`, :func:`plot_per_class`, :func:`plot_reliability`),
video results (:func:`plot_timeline`), training curves (:func:`plot_history`) and
the CNN's feature maps for one face, as in the article (:func:`feature_maps`,
:func:`plot_feature_maps`). matplotlib is imported inside the functions, so this
module imports without it; drawing on frames (OpenCV) is :mod:`fer_sdk.drawing`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.errors import ComponentError, FerSdkError, MissingExtraError

__all__ = [
    "feature_maps",
    "plot_confusion",
    "plot_feature_maps",
    "plot_history",
    "plot_per_class",
    "plot_reliability",
    "plot_timeline",
    "require_matplotlib",
]

DEFAULT_LAYERS = ("block2_pool", "block3_pool")
"""The layers :func:`feature_maps` shows by default: the outputs of the 2nd and 3rd max-pooling."""


PLOTS_EXTRA = "pip install 'fer_sdk[plots]' (in a checkout: pip install '.[plots]')"


def require_matplotlib(what: str = "plotting") -> None:
    """Raise :class:`~fer_sdk.errors.MissingExtraError` now, before any work, when matplotlib is not installed.

    Examples:
        >>> require_matplotlib("--confusion-png")  # matplotlib is installed: nothing happens
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtraError(f"{what} needs matplotlib, which is not installed: {PLOTS_EXTRA}") from None


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend."""
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | Path, *, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` as a PNG (creating the folder) and close it."""
    if tight:
        fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    pyplot().close(fig)
    return path


def plot_reliability(
    reliability: Sequence[Mapping[str, Any]], path: str | Path, *, ece: float | None = None, title: str = "reliability"
) -> Path:
    """Save a reliability diagram: per score bin, the mean top score against the voters' agreement with it.

    ``reliability`` is :func:`fer_sdk.metrics.vote_metrics`'s list of bins
    (``bin``, ``count``, ``score``, ``vote_share``). A calibrated model's bars reach the
    diagonal; the grey bars below show how many faces fall in each bin.

    Examples:
        >>> bins = [{"bin": [0.4, 0.6], "count": 10, "score": 0.5, "vote_share": 0.45}]
        >>> plot_reliability(bins, "/tmp/reliability.png", ece=0.05)  # doctest: +SKIP
        PosixPath('/tmp/reliability.png')
    """
    plt = pyplot()
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(5, 6), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    lows = [float(b["bin"][0]) for b in reliability]
    widths = [float(b["bin"][1]) - float(b["bin"][0]) for b in reliability]
    ax.bar(
        lows,
        [float(b["vote_share"]) for b in reliability],
        width=widths,
        align="edge",
        color="#4c72b0",
        edgecolor="white",
        label="share of the votes for the top label",
    )
    ax.plot(
        [float(b["score"]) for b in reliability],
        [float(b["vote_share"]) for b in reliability],
        "o",
        color="#dd8452",
        label="mean top score of the bin",
    )
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="calibrated")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the voters who agree")
    ax.set_title(title if ece is None else f"{title} (ECE {ece:.3f})")
    ax.legend(loc="upper left", fontsize=8)
    hist.bar(lows, [int(b["count"]) for b in reliability], width=widths, align="edge", color="#999999")
    hist.set_xlabel("top score")
    hist.set_ylabel("faces")
    return save(fig, path)


def plot_confusion(
    confusion: Sequence[Sequence[int]], labels: Sequence[str], path: str | Path, *, title: str = "confusion"
) -> Path:
    """Save a row-normalised confusion matrix (counts and row percentages) as a PNG.

    Examples:
        >>> plot_confusion([[5, 1], [2, 4]], ["happy", "sad"], "/tmp/confusion.png")  # doctest: +SKIP
        PosixPath('/tmp/confusion.png')
    """
    plt = pyplot()
    counts = np.asarray(confusion, dtype=np.int64)
    rows = counts.sum(axis=1, keepdims=True)
    norm = np.divide(counts, rows, out=np.zeros(counts.shape, float), where=rows > 0)
    k = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 * k + 2, 1.0 * k + 1.5), dpi=100)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(k):
        for j in range(k):
            colour = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{norm[i, j]:.0%}\n{counts[i, j]}", ha="center", va="center", fontsize=8, color=colour)
    return save(fig, path)


def plot_per_class(
    per_class: Mapping[str, float],
    path: str | Path,
    *,
    title: str = "per-class accuracy",
    counts: Mapping[str, int] | None = None,
) -> Path:
    """Save a bar chart of per-class accuracy (values in ``[0, 1]``) as a PNG, in the emotions' colours.

    Args:
        per_class: accuracy (recall) per label.
        path: where to write the PNG.
        title: the chart's title.
        counts: the number of faces of each label, written under its name (``n=467``).

    Examples:
        >>> plot_per_class({"happy": 0.87, "sad": 0.56}, "/tmp/bars.png", counts={"happy": 895, "sad": 653})
        PosixPath('/tmp/bars.png')
    """
    from fer_sdk.drawing import colour_rgb

    plt = pyplot()
    names = list(per_class)
    values = [float(per_class[n]) for n in names]
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(names) + 1.5), 4), dpi=100)
    ticks = [f"{n}\nn={counts[n]}" if counts is not None and n in counts else n for n in names]
    bars = ax.bar(ticks, values, color=[colour_rgb(n) for n in names], edgecolor="#333333", linewidth=0.5)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (recall)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    for bar, v in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, v + 0.02, f"{v:.0%}", ha="center", fontsize=9)
    return save(fig, path)


def plot_timeline(
    frames: Sequence[Mapping[str, Any]], labels: Sequence[str], path: str | Path, *, title: str = "emotions over time"
) -> Path:
    """Save the emotion scores of each face track over time (one panel per track) as a PNG.

    Args:
        frames: per-frame results as dicts (``FrameResult.model_dump()`` or the
            lines of ``fer-sdk predict VIDEO --out results.jsonl``).
        labels: the labels to plot, in order.
        path: where to write the PNG.
    """
    from fer_sdk.drawing import colour_rgb

    plt = pyplot()
    tracks: dict[int, list[tuple[float, list[float]]]] = {}
    for i, fr in enumerate(frames):
        t = fr.get("timestamp")
        x = float(t) if t is not None else float(fr.get("index", i))
        for face in fr.get("faces", []):
            tracks.setdefault(int(face.get("track_id", 0)), []).append((x, [face["scores"][n] for n in labels]))
    ids = sorted(tracks)[:6] or [-1]
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 2.4 * len(ids) + 0.6), dpi=100, squeeze=False)
    for ax, tid in zip(axes[:, 0], ids, strict=True):
        points = tracks.get(tid, [])
        if points:
            xs = [p[0] for p in points]
            ys = np.array([p[1] for p in points])
            for k, name in enumerate(labels):
                ax.plot(xs, ys[:, k], label=name, linewidth=1.2, color=colour_rgb(name))
        ax.set_ylim(0, 1)
        ax.set_ylabel("probability")
        ax.set_title(f"track {tid}" if tid >= 0 else "no faces")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper right", ncol=len(labels), fontsize=8)
    axes[-1, 0].set_xlabel("seconds" if frames and frames[0].get("timestamp") is not None else "frame")
    fig.suptitle(title)
    return save(fig, path)


def plot_history(history: Sequence[Any], path: str | Path) -> Path:
    """Plot loss and accuracy per epoch (training and validation) to ``path``.

    Args:
        history: the epochs of a training run (``TrainReport.history`` of
            :mod:`fer_sdk.train`: objects with ``epoch``, ``loss``, ``accuracy``,
            ``val_loss`` and ``val_accuracy``).
        path: where to write the PNG.
    """
    plt = pyplot()
    epochs = [h.epoch for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    ax_loss.plot(epochs, [h.loss for h in history], label="train")
    ax_acc.plot(epochs, [h.accuracy for h in history], label="train")
    if any(h.val_accuracy is not None for h in history):
        ax_loss.plot(epochs, [h.val_loss for h in history], label="validation")
        ax_acc.plot(epochs, [h.val_accuracy for h in history], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    return save(fig, path)


def feature_maps(recognizer: Any, face: Any, layers: Sequence[str] = DEFAULT_LAYERS) -> dict[str, np.ndarray]:
    """The activations of ``layers`` for one face crop: ``{layer name: (h, w, channels)}``.

    Args:
        recognizer: an :class:`~fer_sdk.EmotionRecognizer` whose classifier is a
            Keras model, or the ``litert`` classifier of a model that has its
            ``model.keras`` beside it (the default's bundled preset: its Keras
            twin is loaded for the layers).
        face: a face crop (grayscale or BGR uint8 image).
        layers: layer names of the model (default: the outputs of the 2nd and 3rd max-pooling).
    """
    from fer_sdk.runtime import require_tensorflow

    require_tensorflow("feature maps (fer-sdk featuremaps, fer_sdk.figures)")
    classifier = recognizer.classifier
    from fer_sdk.builtin.litert import LiteRTClassifier

    if isinstance(classifier, LiteRTClassifier):  # the same network: read its layers from the Keras file
        from fer_sdk.builtin.keras_cnn import KerasClassifier

        try:
            classifier = KerasClassifier(model=classifier.options.model)
            classifier.load()
        except FerSdkError as exc:
            raise ComponentError(f"feature maps need the model's Keras file, which is not there: {exc}") from exc
    keras_model = getattr(classifier, "keras_model", None)
    if keras_model is None:
        raise ComponentError("feature maps need the Keras classifier: EmotionRecognizer(classifier='keras')")
    import keras

    names = [layer.name for layer in keras_model.layers]
    missing = [n for n in layers if n not in names]
    if missing:
        pools = [n for n in names if "pool" in n]
        raise ComponentError(f"layers {missing} are not in the model; its pooling layers are {pools}")
    probe = keras.Model(keras_model.input, [keras_model.get_layer(n).output for n in layers])
    batch = recognizer.preprocessor.prepare_crops([face])
    outputs = probe(batch, training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {n: np.asarray(o, dtype=np.float32)[0] for n, o in zip(layers, outputs, strict=True)}


def plot_feature_maps(
    recognizer: Any, face: Any, path: str | Path, layers: Sequence[str] = DEFAULT_LAYERS, max_channels: int = 32
) -> Path:
    """Save the face and a grid of its feature maps per layer (first ``max_channels`` channels) as a PNG.

    Examples:
        >>> import cv2
        >>> from fer_sdk import EmotionRecognizer
        >>> rec = EmotionRecognizer()
        >>> face = cv2.imread("examples/images/astronaut.png")[60:170, 170:280]
        >>> plot_feature_maps(rec, face, "/tmp/maps.png").name  # doctest: +SKIP
        'maps.png'
    """
    plt = pyplot()
    maps = feature_maps(recognizer, face, layers)
    batch = recognizer.preprocessor.prepare_crops([face])
    cols = 8
    rows_per = [int(np.ceil(min(max_channels, m.shape[-1]) / cols)) for m in maps.values()]
    fig = plt.figure(figsize=(cols * 1.2 + 2.6, 1.3 * (sum(rows_per) + len(maps)) + 0.5), dpi=100)
    grid = fig.add_gridspec(sum(rows_per) + len(maps), cols + 2)
    ax = fig.add_subplot(grid[0:3, 0:2])
    ax.imshow(batch[0, :, :, 0], cmap="gray")
    ax.set_title("model input")
    ax.axis("off")
    row = 0
    for (name, m), nrows in zip(maps.items(), rows_per, strict=True):
        title_ax = fig.add_subplot(grid[row, 2:])
        title_ax.axis("off")
        title_ax.text(0, 0.3, f"{name}: {m.shape[0]}x{m.shape[1]}, {m.shape[2]} channels", fontsize=11)
        row += 1
        for c in range(min(max_channels, m.shape[-1])):
            a = fig.add_subplot(grid[row + c // cols, 2 + c % cols])
            a.imshow(m[:, :, c], cmap="viridis")
            a.axis("off")
        row += nrows
    return save(fig, path, tight=False)

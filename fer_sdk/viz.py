"""Feature maps of the CNN for one face, as in the article (after the 2nd and 3rd max-pooling)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.errors import ComponentError, FerSdkError

__all__ = ["feature_maps", "plot_feature_maps"]

DEFAULT_LAYERS = ("block2_pool", "block3_pool")


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

    require_tensorflow("feature maps (fer-sdk featuremaps, fer_sdk.viz)")
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
    from fer_sdk.plots import pyplot, save

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

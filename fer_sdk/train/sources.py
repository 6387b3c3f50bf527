"""Trained models a run starts from, averages, ensembles or learns from.

``cfg.init_from`` (start from a model's weights), ``cfg.average_of`` (the mean of
several models' weights), ``cfg.ensemble_of`` (the mean of their predictions) and
``cfg.teacher`` (distillation: :func:`teacher_targets`) name trained models the way
``EmotionRecognizer(classifier=...)`` does: a bundled name or a folder.
:func:`source_model` loads one and checks it against the config and the data;
:func:`lineage` says how it was trained, for the new model's metadata.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.datasets import Dataset
from fer_sdk.errors import ModelLoadError
from fer_sdk.train.config import TrainConfig
from fer_sdk.train.pipeline import make_dataset


def source_model(spec: str, cfg: TrainConfig, names: list[str], role: str, **options: Any) -> KerasClassifier:
    """A trained model to start from, average, ensemble or learn from, checked against the config and the data.

    ``options`` are :class:`KerasClassifier` options for running it.

    Raises:
        ModelLoadError: the model is missing, or has another architecture, input size or label list.
    """
    source = KerasClassifier(model=spec, **options)
    arch = source.metadata.arch
    if role not in ("ensemble_of", "teacher") and arch != cfg.arch:
        raise ModelLoadError(f"{role} {spec!r} is a {arch!r} model, the config trains {cfg.arch!r}")
    if list(source.labels) != names:
        raise ModelLoadError(f"{role} {spec!r} has labels {list(source.labels)}, the data has {names}")
    if source.input_shape != (cfg.input_size, cfg.input_size, 1):
        raise ModelLoadError(f"{role} {spec!r} takes {source.input_shape} inputs, the config size {cfg.input_size}")
    return source


def average_models(specs: list[str], cfg: TrainConfig, train_ds: Dataset, names: list[str]) -> Any:
    """The mean of the weights of the models ``specs``, with batch-norm statistics recomputed.

    The statistics that suit averaged weights are not the average of the models'
    statistics, so they are measured again: one pass over the training data (with the
    training augmentation), each batch-norm layer keeping the running mean of its
    batch statistics.
    """
    import keras

    from fer_sdk.train.archs import build

    sources = [source_model(spec, cfg, names, "average_of").keras_model for spec in specs]
    model = build(cfg.arch, (cfg.input_size, cfg.input_size, 1), len(names))
    model.set_weights([np.mean(ws, axis=0) for ws in zip(*(m.get_weights() for m in sources), strict=True)])
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for i, batch in enumerate(make_dataset(train_ds, cfg, training=True)):
        for layer in norms:
            layer.momentum = i / (i + 1)  # running mean: the first batch replaces, the i-th weighs 1/(i+1)
        model(batch[0], training=True)
    for layer, momentum in zip(norms, momenta, strict=True):
        layer.momentum = momentum
    return model


def ensemble_models(specs: list[str], cfg: TrainConfig, names: list[str]) -> Any:
    """One model averaging the predictions of the models ``specs`` (see :mod:`fer_sdk.train.ensemble`).

    Raises:
        ModelLoadError: a member is missing, has other labels or input size, or another preprocessing.
    """
    from fer_sdk.train.ensemble import ensemble

    members = [source_model(spec, cfg, names, "ensemble_of") for spec in specs]
    for spec, member in zip(specs[1:], members[1:], strict=True):
        if member.preprocessing != members[0].preprocessing:
            raise ModelLoadError(
                f"ensemble_of {spec!r} crops faces with {member.preprocessing}, {specs[0]!r} with "
                f"{members[0].preprocessing}: the members must take the same crops"
            )
    return ensemble([m.keras_model for m in members])


def teacher_targets(specs: list[str], cfg: TrainConfig, ds: Dataset) -> np.ndarray:
    """The teacher's probabilities ``(n, classes)`` for the images of ``ds``, for distillation.

    The mean over the models ``specs`` and, for each, over the image and its mirror
    image (the training flips faces, so the targets should not depend on which way a
    face looks: the classifier's ``flip_tta``, in float32). Computed once, on the images
    without augmentation.

    Raises:
        ModelLoadError: a teacher is missing, or has other labels or another input size.
    """
    images = ds.images.astype(np.float32) / 255.0
    total = np.zeros((len(ds), len(ds.names)), np.float64)
    for spec in specs:
        teacher = source_model(spec, cfg, list(ds.names), "teacher", precision="float32", flip_tta=True)
        total += teacher.predict_proba(images)
    return (total / len(specs)).astype(np.float32)


def lineage(spec: str) -> dict[str, Any]:
    """How the model ``spec`` was trained, for the metadata of a model made from it: name, arch, checksum, training."""
    meta = KerasClassifier(model=spec).metadata
    return {"model": spec, "arch": meta.arch, "sha256": meta.sha256, "training": meta.training}

"""Ensembles: several trained classifiers averaged into one Keras model.

Networks trained from different random starts make partly different mistakes, so
the mean of their probabilities can be right more often than any one of them (how
much more is for measuring: see the model card). The
ensemble built here is a single functional Keras model (the members' layers side
by side, fed by one input, their softmax outputs averaged), so everything that
takes a model takes it as it is: ``EmotionRecognizer(classifier=...)``, batch-norm
folding, the bfloat16 twin, ``fer-sdk evaluate`` and ``fer-sdk export``. It costs
the sum of its members' compute.

From the command line (``TrainConfig.ensemble_of``)::

    fer-sdk train --ensemble-of runs/a runs/b --data ../shared/datasets/fer2013 --out runs/ab
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fer_sdk.errors import ConfigError


def ensemble(models: Sequence[Any], name: str = "ensemble") -> Any:
    """One Keras model whose output is the mean of the outputs of ``models``.

    Each member is copied with its weights, its layer names prefixed with
    ``m1_``, ``m2_``... (the copies' layers sit directly in the ensemble, not as
    nested models, so batch-norm folding and precision twins see them). The
    members must take the same input shape and give the same number of
    outputs (probabilities, each with its own softmax).

    Raises:
        ConfigError: fewer than two models, or members with different input or output shapes.

    Examples:
        >>> import keras, numpy as np
        >>> def member(seed):
        ...     keras.utils.set_random_seed(seed)
        ...     inputs = keras.Input((4,))
        ...     return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(inputs))
        >>> a, b = member(1), member(2)
        >>> both = ensemble([a, b])
        >>> [layer.name for layer in both.layers]
        ['face', 'm1_out', 'm2_out', 'probs']
        >>> x = np.ones((1, 4), np.float32)
        >>> bool(np.allclose(both(x), (a(x) + b(x)) / 2))
        True
    """
    import keras

    if len(models) < 2:
        raise ConfigError(f"an ensemble needs two or more models, got {len(models)}")
    in_shape, out_shape = tuple(models[0].input_shape[1:]), tuple(models[0].output_shape[1:])
    for i, model in enumerate(models[1:], start=2):
        if tuple(model.input_shape[1:]) != in_shape or tuple(model.output_shape[1:]) != out_shape:
            raise ConfigError(
                f"member {i} maps {tuple(model.input_shape[1:])} to {tuple(model.output_shape[1:])}, "
                f"member 1 maps {in_shape} to {out_shape}"
            )
    inputs = keras.Input(in_shape, name="face")
    outputs = []
    for i, model in enumerate(models, start=1):

        def renamed(layer: Any, prefix: str = f"m{i}_") -> Any:
            config = layer.get_config()
            config["name"] = prefix + layer.name
            return layer.__class__.from_config(config)

        if isinstance(model, keras.Sequential):  # its clone on given inputs has no output tensor: chain its layers
            copy = keras.models.clone_model(model, clone_function=renamed)
            copy.set_weights(model.get_weights())
            x = inputs
            for layer in copy.layers:
                x = layer(x)
            outputs.append(x)
        else:
            copy = keras.models.clone_model(model, input_tensors=inputs, clone_function=renamed)
            copy.set_weights(model.get_weights())
            outputs.append(copy.output)
    return keras.Model(inputs, keras.layers.Average(dtype="float32", name="probs")(outputs), name=name)

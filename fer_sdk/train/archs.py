"""Network architectures, registered by name.

* ``seed``: a faithful reproduction of the article's network: three blocks of
  three 3x3 convolutions (32, 64 and 128 filters), each block followed by 2x2
  max-pooling, then dense layers with dropout and a softmax.
* ``fernet``: the project's default, a VGG-style network with batch
  normalisation, sized for accuracy and CPU speed together (about 96M
  multiply-adds and 1.76M parameters per 48x48 face).

Add your own with :func:`register_arch`.

Examples:
    >>> from fer_sdk.train.archs import ARCHS
    >>> sorted(ARCHS)
    ['fernet', 'seed']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fer_sdk.errors import ConfigError

if TYPE_CHECKING:
    import keras

ArchBuilder = Callable[[tuple[int, int, int], int], "keras.Model"]
ARCHS: dict[str, ArchBuilder] = {}


def register_arch(name: str) -> Callable[[ArchBuilder], ArchBuilder]:
    """Decorator registering ``builder(input_shape, n_classes) -> keras.Model`` under ``name``."""

    def deco(builder: ArchBuilder) -> ArchBuilder:
        if name in ARCHS:
            raise ConfigError(f"architecture {name!r} is already registered")
        ARCHS[name] = builder
        return builder

    return deco


def build(name: str, input_shape: tuple[int, int, int], n_classes: int) -> keras.Model:
    """Build the architecture ``name`` for ``input_shape`` (h, w, c) and ``n_classes``."""
    try:
        builder = ARCHS[name]
    except KeyError:
        raise ConfigError(f"unknown architecture {name!r}; available: {sorted(ARCHS)}") from None
    return builder(input_shape, n_classes)


def _softmax_head(x: Any, n_classes: int) -> Any:
    from keras import layers

    x = layers.Dense(n_classes, name="logits")(x)
    # float32 softmax even under a mixed precision policy
    return layers.Activation("softmax", dtype="float32", name="probs")(x)


@register_arch("seed")
def seed(input_shape: tuple[int, int, int], n_classes: int) -> keras.Model:
    """The article's 9-conv-layer Sequential CNN."""
    import keras
    from keras import layers

    model = keras.Sequential(name="seed")
    model.add(keras.Input(shape=input_shape, name="face"))
    for block, filters in enumerate((32, 64, 128), start=1):
        for i in range(3):
            model.add(layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{i + 1}"))
        model.add(layers.MaxPooling2D(2, name=f"block{block}_pool"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(256, activation="relu", name="fc1"))
    model.add(layers.Dropout(0.5, name="fc1_dropout"))
    model.add(layers.Dense(128, activation="relu", name="fc2"))
    model.add(layers.Dropout(0.5, name="fc2_dropout"))
    model.add(layers.Dense(n_classes, name="logits"))
    model.add(layers.Activation("softmax", dtype="float32", name="probs"))
    return model


@register_arch("fernet")
def fernet(input_shape: tuple[int, int, int], n_classes: int) -> keras.Model:
    """VGG-style CNN with batch normalisation: 1-2-2-2 conv layers of 32-64-128-256 filters."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="face")
    x = inputs
    stages = ((32, 1, 0.0), (64, 2, 0.1), (128, 2, 0.2), (256, 2, 0.3))
    for s, (filters, convs, drop) in enumerate(stages, start=1):
        for i in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{s}_conv{i + 1}")(x)
            x = layers.BatchNormalization(name=f"block{s}_bn{i + 1}")(x)
            x = layers.Activation("relu", name=f"block{s}_relu{i + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"block{s}_pool")(x)
        if drop:
            x = layers.Dropout(drop, name=f"block{s}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(256, use_bias=False, name="fc1")(x)
    x = layers.BatchNormalization(name="fc1_bn")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.Dropout(0.5, name="fc1_dropout")(x)
    return keras.Model(inputs, _softmax_head(x, n_classes), name="fernet")

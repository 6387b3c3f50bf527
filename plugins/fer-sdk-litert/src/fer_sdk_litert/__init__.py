"""fer-sdk-litert: the bundled emotion model with int8 weights, on fer_sdk's LiteRT classifier.

fer_sdk itself runs the bundled model on LiteRT in float32 (classifier
``litert``, the default on machines without a GPU). This plugin adds the
export with int8 weights (``fer-sdk export --quantize dynamic``) as classifier
``litert-int8``: several times faster again per crop on CPUs with int8
dot-product units (AVX-512 VNNI, AVX-VNNI, ARM dotprod), at the same PublicTest
accuracy but with 99.4% of the Keras model's top labels (a few faces on the
edge between two emotions change sides), so it is opt-in.

Examples:
    >>> import cv2, fer_sdk
    >>> rec = fer_sdk.EmotionRecognizer(classifier="litert-int8")
    >>> [f.emotion for f in rec.predict(cv2.imread("examples/images/astronaut.png"))]  # doctest: +SKIP
    ['happy']
    >>> from fer_sdk_litert import LiteRTInt8Classifier
    >>> LiteRTInt8Classifier().labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import ClassVar

from pydantic import Field

import fer_sdk
from fer_sdk.builtin.litert import LiteRTClassifier, LiteRTOptions
from fer_sdk.preset import BUNDLED_PACKAGE, bundled_presets, preset_dir

__all__ = [
    "BUNDLED",
    "MODELS_PACKAGE",
    "LiteRTInt8Classifier",
    "LiteRTInt8Options",
    "bundled_model_dir",
    "register_classifiers",
]

MODELS_PACKAGE = "fer_sdk_litert.models"
BUNDLED: tuple[str, ...] = tuple(bundled_presets(MODELS_PACKAGE))


class LiteRTInt8Options(LiteRTOptions):
    """Options of :class:`LiteRTInt8Classifier`: those of fer_sdk's ``litert`` classifier, ``model`` int8."""

    model: str = Field(
        "int8",
        description="'int8' (bundled, default), or what fer_sdk's litert classifier takes: a bundled preset, "
        "a .tflite file or a folder written by `fer-sdk export`",
    )


def bundled_model_dir(name: str, stack: ExitStack) -> Path:
    """The folder of a model this plugin bundles (``int8``), as a real path for the life of ``stack``."""
    return preset_dir(name, stack, MODELS_PACKAGE)


class LiteRTInt8Classifier(LiteRTClassifier):
    """The bundled emotion CNN with int8 weights on LiteRT (no TensorFlow needed).

    Takes the options of :class:`fer_sdk.builtin.litert.LiteRTClassifier`;
    ``model`` defaults to ``int8``, this plugin's export of the bundled model,
    and also takes the presets bundled with fer_sdk (:attr:`preset_packages`).

    Examples:
        >>> import numpy as np
        >>> LiteRTInt8Classifier(threads=1).predict_proba(np.zeros((2, 48, 48, 1), np.float32)).shape
        (2, 7)
    """

    name = "litert-int8"
    preset_packages: ClassVar[tuple[str, ...]] = (MODELS_PACKAGE, BUNDLED_PACKAGE)

    def __init__(self, **options: object) -> None:
        super().__init__(**LiteRTInt8Options.model_validate(options).model_dump())
        self.options = LiteRTInt8Options.model_validate(options)


@fer_sdk.hookimpl
def register_classifiers(register: fer_sdk.hookspecs.Register) -> None:
    """Register the int8 LiteRT classifier as ``litert-int8``."""
    register(LiteRTInt8Classifier, name="litert-int8")

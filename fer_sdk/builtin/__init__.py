"""The built-in components, registered through the same hooks as any plugin.

* detector ``haar``: :class:`~fer_sdk.builtin.haar.HaarDetector`
* preprocessor ``standard``: :class:`~fer_sdk.builtin.preprocess.StandardPreprocessor`
* classifier ``litert``: :class:`~fer_sdk.builtin.litert.LiteRTClassifier` (the bundled model on LiteRT)
* classifier ``keras``: :class:`~fer_sdk.builtin.keras_cnn.KerasClassifier` (the bundled model on TensorFlow)

The default classifier, ``auto``, is one of the two (:mod:`fer_sdk.runtime`).
"""

from __future__ import annotations

from fer_sdk.hookspecs import Register, hookimpl


@hookimpl
def register_detectors(register: Register) -> None:
    """Register the Haar cascade detector as ``haar``."""
    from fer_sdk.builtin.haar import HaarDetector

    register(HaarDetector, name="haar", aliases=["haarcascade"])


@hookimpl
def register_preprocessors(register: Register) -> None:
    """Register the standard crop-gray-resize preprocessor as ``standard``."""
    from fer_sdk.builtin.preprocess import StandardPreprocessor

    register(StandardPreprocessor, name="standard")


@hookimpl
def register_classifiers(register: Register) -> None:
    """Register the Keras CNN classifier as ``keras`` and its LiteRT twin as ``litert``."""
    from fer_sdk.builtin.keras_cnn import KerasClassifier
    from fer_sdk.builtin.litert import LiteRTClassifier

    register(KerasClassifier, name="keras", aliases=["cnn"])
    register(LiteRTClassifier, name="litert", aliases=["tflite"])

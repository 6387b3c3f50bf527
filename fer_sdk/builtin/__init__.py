"""The built-in components, registered through the same hooks as any plugin.

* detector ``haar``: :class:`~fer_sdk.builtin.haar.HaarDetector`
* preprocessor ``standard``: :class:`~fer_sdk.builtin.preprocess.StandardPreprocessor`
* classifier ``keras``: :class:`~fer_sdk.builtin.keras_cnn.KerasClassifier`
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
    """Register the Keras CNN classifier as ``keras``."""
    from fer_sdk.builtin.keras_cnn import KerasClassifier

    register(KerasClassifier, name="keras", aliases=["cnn"])

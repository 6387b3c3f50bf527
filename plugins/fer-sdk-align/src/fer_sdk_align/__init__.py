"""fer-sdk-align: the ``aligned`` preprocessor, which turns tilted faces upright before cropping.

It uses the eye landmarks that detectors such as ``mtcnn`` (``fer-sdk-mtcnn``)
put on each box, and falls back to fer_sdk's standard crop for boxes without
them (e.g. from ``haar``).

Examples:
    >>> import cv2
    >>> from fer_sdk import EmotionRecognizer
    >>> rec = EmotionRecognizer(detector="mtcnn", preprocessor="aligned")
    >>> [face.emotion for face in rec.predict(cv2.imread("examples/images/astronaut.png"))]
    ['happy']
"""

from __future__ import annotations

from fer_sdk.hookspecs import Register, hookimpl
from fer_sdk_align.preprocess import AlignedOptions, AlignedPreprocessor, eye_angle

__all__ = ["AlignedOptions", "AlignedPreprocessor", "eye_angle", "register_preprocessors"]


@hookimpl
def register_preprocessors(register: Register) -> None:
    """Register :class:`AlignedPreprocessor` as ``aligned``."""
    register(AlignedPreprocessor, name="aligned")

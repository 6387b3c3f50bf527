"""fer-sdk-blazeface: MediaPipe's BlazeFace face detector as a fer_sdk detector named ``blazeface``.

BlazeFace (Bazarevsky et al., 2019) is a single-shot CNN face detector made for
real time on phones. This plugin runs MediaPipe's two BlazeFace models, shipped
inside it, on the LiteRT runtime: no MediaPipe, no TensorFlow, nothing downloaded.
Each face gets a score and six landmarks (eyes, nose tip, mouth centre, ears),
so the ``aligned`` preprocessor of ``fer-sdk-align`` can turn tilted faces upright.

Examples:
    >>> import cv2
    >>> from fer_sdk import EmotionRecognizer
    >>> rec = EmotionRecognizer(detector="blazeface")
    >>> [face.emotion for face in rec.predict(cv2.imread("examples/images/astronaut.png"))]
    ['happy']
"""

from __future__ import annotations

from fer_sdk.hookspecs import Register, hookimpl
from fer_sdk_blazeface.detector import LANDMARKS, MODELS, BlazeFaceDetector, BlazeFaceOptions

__all__ = ["LANDMARKS", "MODELS", "BlazeFaceDetector", "BlazeFaceOptions", "register_detectors"]


@hookimpl
def register_detectors(register: Register) -> None:
    """Register :class:`BlazeFaceDetector` as ``blazeface``."""
    register(BlazeFaceDetector, name="blazeface")

"""fer-sdk-mtcnn: the MTCNN face detector (Zhang et al., 2016) as a fer_sdk detector named ``mtcnn``.

MTCNN finds faces that OpenCV's frontal Haar cascade misses (turned heads, poor
light, small faces) and gives five landmarks per face, which the ``aligned``
preprocessor of ``fer-sdk-align`` uses to turn tilted faces upright.

Examples:
    >>> import cv2
    >>> from fer_sdk import EmotionRecognizer
    >>> rec = EmotionRecognizer(detector="mtcnn")
    >>> [face.emotion for face in rec.predict(cv2.imread("examples/images/astronaut.png"))]
    ['happy']
"""

from __future__ import annotations

from fer_sdk.hookspecs import Register, hookimpl
from fer_sdk_mtcnn.detector import LANDMARKS, MtcnnDetector, MtcnnOptions

__all__ = ["LANDMARKS", "MtcnnDetector", "MtcnnOptions", "register_detectors"]


@hookimpl
def register_detectors(register: Register) -> None:
    """Register :class:`MtcnnDetector` as ``mtcnn``."""
    register(MtcnnDetector, name="mtcnn")

"""my-fer-plugin: a detector of frontal and profile faces, with Haar cascades."""

from __future__ import annotations

import threading
from typing import Any

import fer_sdk

__all__ = ["FrontalAndProfileDetector", "register_detectors"]


class FrontalAndProfileDetector(fer_sdk.FaceDetector):
    """Frontal faces and faces turned to either side (OpenCV Haar cascades).

    Args:
        min_size: smallest face side, in pixels.
        min_neighbors: detections needed to keep a face (higher: fewer, surer faces).
    """

    name = "frontal-and-profile"

    def __init__(self, min_size: int = 36, min_neighbors: int = 4) -> None:
        if min_size < 8:
            raise ValueError(f"min_size must be at least 8, got {min_size}")
        self.min_size = min_size
        self.min_neighbors = min_neighbors
        self._local = (
            threading.local()
        )  # OpenCV cascades are not thread-safe: one pair per thread

    def _cascades(self) -> tuple[Any, Any]:
        """Load the two cascades on first use (not at registration: listing is fast)."""
        if not hasattr(self._local, "cascades"):
            import cv2

            frontal = cv2.CascadeClassifier(
                cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
            )
            profile = cv2.CascadeClassifier(
                cv2.data.haarcascades + "haarcascade_profileface.xml"
            )
            self._local.cascades = (frontal, profile)
        return self._local.cascades  # type: ignore[no-any-return]

    def detect(self, frame: fer_sdk.Frame) -> list[fer_sdk.Box]:
        """Frontal faces, then profile faces (either way) that overlap none of them."""
        frontal, profile = self._cascades()
        gray = frame.gray
        size = (self.min_size, self.min_size)
        found = [
            tuple(b)
            for b in frontal.detectMultiScale(
                gray, 1.1, self.min_neighbors, minSize=size
            )
        ]
        left = profile.detectMultiScale(gray, 1.1, self.min_neighbors, minSize=size)
        right = profile.detectMultiScale(
            gray[:, ::-1].copy(), 1.1, self.min_neighbors, minSize=size
        )
        turned = [tuple(b) for b in left] + [
            (frame.width - x - w, y, w, h) for x, y, w, h in right
        ]
        for box in turned:
            if all(_iou(box, other) < 0.3 for other in found):
                found.append(box)
        return [
            fer_sdk.Box(x=int(x), y=int(y), w=int(w), h=int(h)) for x, y, w, h in found
        ]


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter)


@fer_sdk.hookimpl
def register_detectors(register: fer_sdk.hookspecs.Register) -> None:
    """Register the detector class (not an instance) under its name and an alias."""
    register(FrontalAndProfileDetector, name="frontal-and-profile", aliases=["profile"])

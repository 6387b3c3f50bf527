"""The default face detector: OpenCV's Haar cascade."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.errors import ModelLoadError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import FaceDetector
from fer_sdk.results import Box

WINDOW = 24  # the base window of OpenCV's frontal-face cascades, in pixels


class HaarOptions(BaseModel):
    """Options of :class:`HaarDetector` (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    cascade: str = Field(
        "haarcascade_frontalface_alt2.xml",
        description="a cascade file name from OpenCV's bundled cascades, or a path to an XML file",
    )
    scale_factor: float = Field(1.2, gt=1.0, le=2.0, description="image pyramid step")
    min_neighbors: int = Field(1, ge=0, description="neighbouring detections needed to keep a face")
    min_size: int = Field(
        48,
        ge=8,
        description="smallest face side in frame pixels; the frame is scaled so that this size meets the "
        "cascade's 24-pixel window, so a larger min_size is also faster",
    )
    detect_width: int | None = Field(
        None, ge=64, description="also cap the width of the copy detection runs on (faster on large frames)"
    )
    equalize: bool = Field(False, description="equalise the histogram before detection")


def cascade_path(name: str) -> Path:
    """Resolve a cascade name against ``cv2.data.haarcascades`` (or use it as a path)."""
    path = Path(name)
    if path.is_file():
        return path
    data = getattr(cv2, "data", None)
    folder = getattr(data, "haarcascades", None)
    if folder is None:
        raise ModelLoadError(
            f"OpenCV {cv2.__version__} ships no Haar cascades (cv2.data.haarcascades is missing); "
            "install an OpenCV 4.x wheel, e.g. pip install 'opencv-python-headless<5'"
        )
    bundled = Path(folder) / name
    if not bundled.is_file():
        raise ModelLoadError(f"Haar cascade {name!r} not found as a file or in {folder}")
    return bundled


class HaarDetector(FaceDetector):
    """OpenCV Haar cascade face detector (frontal faces).

    Boxes come in frame pixels; Haar gives no score (``box.score`` is None).
    Detection runs on a copy of the frame scaled so that a face of ``min_size``
    pixels fills the cascade's 24-pixel window: faces smaller than ``min_size``
    are not searched for, and the work drops with the square of the scale
    (``min_size=48``, the default, halves each side). The defaults (OpenCV's
    ``alt2`` frontal-face cascade, ``min_size=48``, ``scale_factor=1.2``,
    ``min_neighbors=1``) were chosen with ``benchmarks/detector_recall.py`` on
    640x480 photos with real faces: they find as many faces as the ``fer``
    package's full-frame search (``default`` cascade, minimum 50 pixels,
    ``scaleFactor=1.1``, ``minNeighbors=5``) with a quarter of its false boxes,
    about four times faster. For faces smaller than 48 pixels lower
    ``min_size`` (slower). Each thread gets its own cascade, so one detector can
    be shared.

    Examples:
        >>> import cv2, numpy as np
        >>> from fer_sdk.builtin.haar import HaarDetector
        >>> HaarDetector(min_neighbors=3)(np.zeros((120, 160), np.uint8))
        []
    """

    name = "haar"

    def __init__(self, **options: object) -> None:
        self.options = HaarOptions.model_validate(options)
        self._path = cascade_path(self.options.cascade)
        if not hasattr(cv2, "CascadeClassifier"):
            raise ModelLoadError(f"OpenCV {cv2.__version__} has no cv2.CascadeClassifier; install an OpenCV 4.x wheel")
        self._local = threading.local()

    def _cascade(self) -> cv2.CascadeClassifier:
        cascade = getattr(self._local, "cascade", None)
        if cascade is None:
            cascade = cv2.CascadeClassifier(str(self._path))
            if cascade.empty():
                raise ModelLoadError(f"OpenCV could not load the Haar cascade {self._path}")
            self._local.cascade = cascade
        return cascade

    def detect(self, frame: Frame) -> Sequence[Box]:
        """Detect faces; returns boxes in frame pixels."""
        opts = self.options
        gray = frame.gray
        scale = min(1.0, WINDOW / opts.min_size)
        if opts.detect_width is not None:
            scale = min(scale, opts.detect_width / frame.width)
        if scale < 1.0:
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        if opts.equalize:
            gray = cv2.equalizeHist(gray)
        min_side = max(WINDOW, round(opts.min_size * scale))
        if gray.shape[0] < min_side or gray.shape[1] < min_side:
            return []
        found = self._cascade().detectMultiScale(
            gray, scaleFactor=opts.scale_factor, minNeighbors=opts.min_neighbors, minSize=(min_side, min_side)
        )
        boxes = []
        for x, y, w, h in found:
            x1, y1 = round(x / scale), round(y / scale)
            x2, y2 = min(frame.width, round((x + w) / scale)), min(frame.height, round((y + h) / scale))
            if x2 > x1 and y2 > y1:
                boxes.append(Box(x=x1, y=y1, w=x2 - x1, h=y2 - y1))
        return boxes

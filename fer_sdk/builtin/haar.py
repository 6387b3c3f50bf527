"""The default face detector: OpenCV's Haar cascade."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.errors import ModelLoadError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import FaceDetector
from fer_sdk.results import Box, clip_box

WINDOW = 24  # the smallest face searched for, in pixels of the copy detection runs on (alt2's own window is 20)
GROUP_EPS = 0.2  # OpenCV's grouping tolerance in detectMultiScale
REFINE_PAD = 0.25  # a face found on the half-size copy is searched for again this far around it (x its side)
REFINE_SIZES = (0.8, 1.3)  # ... at these sizes (x its side)


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
    coarse_octave: bool = Field(
        True,
        description="search the larger faces (from twice the cascade's own window, 40 pixels for alt2, on the "
        "detection copy) on a copy at half the detection scale, each hit there searched for again at full detail "
        "around it; False: one OpenCV search",
    )


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
    pixels measures 24 pixels there (``alt2``'s own window is 20, but it finds
    more faces from 24): faces smaller than ``min_size`` are not searched for,
    and the work drops with the square of the scale (``min_size=48``, the
    default, halves each side). Faces from twice the cascade's window (40
    pixels on that copy, 80 in the frame with the defaults) are searched on a
    copy of half its size (``coarse_octave``), where OpenCV spends about a
    quarter of the windows on them, and each one found there is searched for
    again at full detail in a small window around it, so that its box is as
    precise as a single search would make it. The defaults (OpenCV's ``alt2``
    frontal-face cascade, ``min_size=48``, ``scale_factor=1.2``,
    ``min_neighbors=1``, ``coarse_octave=True``) were chosen with
    ``benchmarks/detector_recall.py`` on 640x480 photos with real faces: they
    find more faces than the ``fer`` package's full-frame search (``default``
    cascade, minimum 50 pixels, ``scaleFactor=1.1``, ``minNeighbors=5``) with
    under half its false boxes, over five times faster. For faces smaller
    than 48 pixels lower ``min_size`` (slower). Each thread gets its own
    cascade, so one detector can be shared.

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
            gray = _resized(gray, scale)
        if opts.equalize:
            gray = cv2.equalizeHist(gray)
        min_side = max(WINDOW, round(opts.min_size * scale))
        if gray.shape[0] < min_side or gray.shape[1] < min_side:
            return []
        cascade = self._cascade()
        if opts.coarse_octave:
            found = self._two_octaves(cascade, gray, min_side)
        else:
            found = cascade.detectMultiScale(
                gray, scaleFactor=opts.scale_factor, minNeighbors=opts.min_neighbors, minSize=(min_side, min_side)
            )
        boxes = (
            clip_box(x / scale, y / scale, (x + w) / scale, (y + h) / scale, frame.width, frame.height)
            for x, y, w, h in found
        )
        return [box for box in boxes if box is not None]

    def _two_octaves(self, cascade: cv2.CascadeClassifier, gray: np.ndarray, min_side: int) -> Sequence[Sequence[int]]:
        """Small faces searched on ``gray``, larger ones on a half-size copy and placed precisely on ``gray``.

        OpenCV moves its window in steps of 2 pixels while the window is under twice the
        cascade's own size (20 pixels for ``alt2``) and of 1 pixel from there on, so one
        search spends most of its windows on the larger faces, at twice the density the
        small faces get. Here ``gray`` is searched up to just below that size, and the
        larger faces on a copy at half the size, from the cascade's own size up; each face
        found there is searched for again on ``gray`` in a window around it, at sizes near
        its own, to place its box as precisely as one search would. A raw hit on the copy
        stands for about two hits of the dense search, so it counts as two neighbours,
        except at the sizes below ``2 * min_side``, where the copy is searched at the
        cascade's own size, with the least detail, and its hits are noisier (they count
        as one). All raw hits are grouped as OpenCV groups them (``minNeighbors``: a face
        needs more than that many votes). Returns ``(x, y, w, h)`` rectangles in
        ``gray``'s pixels.
        """
        opts = self.options
        native = min(cascade.getOriginalWindowSize())

        def search(img: np.ndarray, lo: int, hi: int = 0) -> list[list[int]]:
            """Raw hits of sides ``lo`` to ``hi`` (0: no limit) on ``img``."""
            found = cascade.detectMultiScale(
                img, scaleFactor=opts.scale_factor, minNeighbors=0, minSize=(lo, lo), maxSize=(hi, hi)
            )
            return [[int(v) for v in r] for r in found]

        fine_top = min(2 * min_side, 2 * native) - 1  # the largest side searched on gray
        rects = search(gray, min_side, fine_top) if fine_top >= min_side else []
        half = _resized(gray, 0.5)
        ratio = gray.shape[1] / half.shape[1]
        lo = max(native, (max(fine_top + 1, min_side) + 1) // 2)  # the smallest side searched on the copy
        coarse = [[round(v * ratio) for v in r] for r in search(half, lo)] if min(half.shape) >= lo else []
        if coarse:
            # every coarse hit, grouped (given twice, so that a lone hit passes the threshold of 1)
            candidates, _ = cv2.groupRectangles(coarse + coarse, 1, GROUP_EPS)
            height, width = gray.shape
            for x, y, w, h in candidates:
                pad = round(REFINE_PAD * w)
                x1, y1 = max(0, x - pad), max(0, y - pad)
                window = gray[y1 : min(height, y + h + pad), x1 : min(width, x + w + pad)]
                side_lo, side_hi = max(min_side, round(REFINE_SIZES[0] * w)), round(REFINE_SIZES[1] * w)
                if min(window.shape) >= side_lo:
                    rects += [[rx + x1, ry + y1, rw, rh] for rx, ry, rw, rh in search(window, side_lo, side_hi)]
            for r in coarse:  # one hit on the half-size copy counts as two, one at its smallest sizes
                rects += [r] if r[2] < 2 * min_side else [r, r]
        if not rects or opts.min_neighbors == 0:
            return _unique(rects)
        grouped, votes = cv2.groupRectangles(rects, opts.min_neighbors, GROUP_EPS)
        return _drop_enclosing([[int(v) for v in r] for r in grouped], [int(v) for v in np.ravel(votes)])


def _resized(gray: np.ndarray, scale: float) -> np.ndarray:
    """``gray`` scaled by ``scale`` (< 1) with area averaging."""
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _drop_enclosing(rects: list[list[int]], votes: list[int]) -> list[list[int]]:
    """``rects`` less each one that encloses another with at least as many votes.

    OpenCV's grouping drops a weak box inside a strong one; this drops a weak box
    around a stronger one too (a coarse-octave hit framing a face found on both
    octaves), so that one face never gives two nested boxes.
    """

    def inside(a: list[int], b: list[int]) -> bool:
        """``a`` lies within ``b`` (give or take OpenCV's tolerance)."""
        dx, dy = round(b[2] * GROUP_EPS), round(b[3] * GROUP_EPS)
        within_x = a[0] >= b[0] - dx and a[0] + a[2] <= b[0] + b[2] + dx
        return within_x and a[1] >= b[1] - dy and a[1] + a[3] <= b[1] + b[3] + dy

    return [
        r
        for i, r in enumerate(rects)
        if not any(j != i and votes[j] >= votes[i] and inside(rects[j], r) for j in range(len(rects)))
    ]


def _unique(rects: list[list[int]]) -> list[list[int]]:
    """``rects`` without repeats, in their order."""
    return [list(r) for r in dict.fromkeys(tuple(r) for r in rects)]

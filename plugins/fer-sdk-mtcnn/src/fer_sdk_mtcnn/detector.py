"""The MTCNN detector: options, lazy model loading, boxes with scores and landmarks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.frame import Frame
from fer_sdk.interfaces import FaceDetector, parse_options
from fer_sdk.results import Box

__all__ = ["LANDMARKS", "MtcnnDetector", "MtcnnOptions"]

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
"""Names of the points in :attr:`fer_sdk.Box.landmarks`, in MTCNN's order.

``left_eye`` and ``mouth_left`` are the ones nearer the frame's left edge on an
upright face (the person's right eye and mouth corner)."""

NATIVE_MIN = 20
"""The smallest face MTCNN's proposal network is run for, in pixels of the image it sees."""


class MtcnnOptions(BaseModel):
    """Options of :class:`MtcnnDetector` (unknown keys are errors).

    Examples:
        >>> MtcnnOptions(min_size=48).min_size
        48
    """

    model_config = ConfigDict(extra="forbid")

    min_size: int = Field(
        36,
        ge=NATIVE_MIN,
        le=4096,
        description="smallest face side in frame pixels; detection runs on a copy scaled by 20/min_size, so a "
        "larger min_size is also faster (36, the default, matches the haar detector's)",
    )
    score_threshold: float = Field(
        0.9, gt=0.0, lt=1.0, description="keep faces whose final (ONet) score is at least this"
    )
    detect_width: int | None = Field(
        None, ge=64, description="also cap the width of the copy detection runs on (faster on large frames)"
    )
    device: str = Field("CPU:0", description="TensorFlow device the three networks run on, e.g. 'CPU:0' or 'GPU:0'")
    graph: bool = Field(
        True,
        description="run the three networks as compiled TensorFlow graphs (tf.function): same boxes, "
        "about 3x faster than the mtcnn package's layer-by-layer eager calls",
    )


def _compile_stages(model: Any) -> None:
    """Wrap each stage's Keras network in one ``tf.function`` taking any ``(n, h, w, 3)`` float32 batch.

    mtcnn 1.x calls its networks eagerly, layer by layer; one graph per network
    removes most of that per-call overhead. Stages without a ``_model`` network
    (another mtcnn version) are left as they are.
    """
    import tensorflow as tf

    spec = [tf.TensorSpec([None, None, None, 3], tf.float32)]
    for stage in getattr(model, "stages", ()):
        network = getattr(stage, "_model", None)
        if network is not None and not hasattr(network, "get_concrete_function"):
            stage._model = tf.function(network, input_signature=spec)


class MtcnnDetector(FaceDetector):
    """MTCNN face detector with scores and five landmarks per face.

    Boxes are in frame pixels, clipped to the frame; ``box.score`` is MTCNN's
    final confidence and ``box.landmarks`` holds the points named in
    :data:`LANDMARKS` as ``(x, y)`` frame pixels, clipped to the frame.

    The networks (from the ``mtcnn`` package, whose wheel ships the weights)
    and TensorFlow load on the first :meth:`detect` call, not on construction.
    Each thread gets its own copy of the networks, so one detector can be
    shared between threads.

    Args:
        **options: see :class:`MtcnnOptions`; invalid options raise
            :class:`fer_sdk.ComponentError` naming the option.

    Examples:
        >>> import cv2
        >>> from fer_sdk_mtcnn import MtcnnDetector
        >>> det = MtcnnDetector(min_size=40)
        >>> [box] = det(cv2.imread("examples/images/astronaut.png"))
        >>> box.score > 0.9, sorted(box.landmarks)
        (True, ['left_eye', 'mouth_left', 'mouth_right', 'nose', 'right_eye'])
    """

    name = "mtcnn"

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(MtcnnOptions, options, "mtcnn detector")
        self._local = threading.local()

    def _model(self) -> Any:
        model = getattr(self._local, "model", None)
        if model is None:
            from fer_sdk._quiet import dependency_output

            with dependency_output():  # TensorFlow's start-up messages go to logging
                from mtcnn import MTCNN  # imports TensorFlow: only on first use

                model = MTCNN(stages="face_and_landmarks_detection", device=self.options.device)
                if self.options.graph:
                    _compile_stages(model)
            self._local.model = model
        return model

    def detect(self, frame: Frame) -> Sequence[Box]:
        """Detect faces; returns boxes in frame pixels with ``score`` and ``landmarks``."""
        opts = self.options
        scale = NATIVE_MIN / opts.min_size
        if opts.detect_width is not None:
            scale = min(scale, opts.detect_width / frame.width)
        rgb = frame.rgb
        if scale < 1.0:
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        if min(rgb.shape[:2]) < NATIVE_MIN:
            return []
        rows = self._model().detect_faces(
            rgb,
            box_format="xyxy",
            output_type="numpy",
            min_face_size=NATIVE_MIN,
            threshold_onet=opts.score_threshold,
        )
        return self._boxes(np.asarray(rows, np.float64).reshape(-1, 16), scale, frame.width, frame.height)

    def _boxes(self, rows: np.ndarray, scale: float, width: int, height: int) -> list[Box]:
        # rows: image id, x1, y1, x2, y2, score, the five points' x, then their y; in the scaled copy's pixels
        boxes = []
        for row in rows:
            if not np.all(np.isfinite(row)) or row[5] < self.options.score_threshold:
                continue
            x1 = min(width - 1, max(0, round(row[1] / scale)))
            y1 = min(height - 1, max(0, round(row[2] / scale)))
            x2, y2 = min(width, round(row[3] / scale)), min(height, round(row[4] / scale))
            if x2 <= x1 or y2 <= y1:
                continue
            points = row[6:16].reshape(2, 5).T / scale
            landmarks = {
                name: (float(min(width - 1, max(0.0, px))), float(min(height - 1, max(0.0, py))))
                for name, (px, py) in zip(LANDMARKS, points, strict=True)
            }
            boxes.append(Box(x=x1, y=y1, w=x2 - x1, h=y2 - y1, score=float(row[5]), landmarks=landmarks))
        return boxes

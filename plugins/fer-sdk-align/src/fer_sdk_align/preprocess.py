"""The aligned preprocessor: rotate about the eye midpoint, then fer_sdk's standard crop."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from pydantic import ConfigDict, Field

from fer_sdk.builtin.preprocess import StandardOptions, StandardPreprocessor
from fer_sdk.errors import ComponentError
from fer_sdk.interfaces import EmotionClassifier, parse_options
from fer_sdk.results import Box

__all__ = ["AlignedOptions", "AlignedPreprocessor", "eye_angle"]

LEFT_EYE, RIGHT_EYE = "left_eye", "right_eye"


def eye_angle(box: Box) -> float | None:
    """The tilt of the eye line in degrees (positive: the right-hand eye is lower), or ``None``.

    ``left_eye`` is the eye nearer the frame's left edge on an upright face, as
    fer_sdk detectors name it. ``None`` when the box lacks either eye or the two
    coincide.

    Examples:
        >>> from fer_sdk import Box
        >>> eye_angle(Box(x=0, y=0, w=10, h=10, landmarks={"left_eye": (2, 3), "right_eye": (7, 8)}))
        45.0
        >>> eye_angle(Box(x=0, y=0, w=10, h=10)) is None
        True
    """
    marks = box.landmarks or {}
    if LEFT_EYE not in marks or RIGHT_EYE not in marks:
        return None
    (lx, ly), (rx, ry) = marks[LEFT_EYE], marks[RIGHT_EYE]
    dx, dy = rx - lx, ry - ly
    if not (math.isfinite(dx) and math.isfinite(dy)) or (dx == 0 and dy == 0):
        return None
    return math.degrees(math.atan2(dy, dx))


class AlignedOptions(StandardOptions):
    """Options of :class:`AlignedPreprocessor`: the standard preprocessor's, plus ``min_angle``.

    ``size``, ``scale`` and ``margin`` mean what they mean for the ``standard``
    preprocessor, so a classifier's declared preprocessing applies unchanged.

    Examples:
        >>> AlignedOptions(size=64, min_angle=2).model_dump()
        {'size': 64, 'scale': 'unit', 'margin': 0.0, 'min_angle': 2.0}
    """

    model_config = ConfigDict(extra="forbid")

    min_angle: float = Field(
        10.0,
        ge=0.0,
        le=45.0,
        description="eye lines tilted less than this many degrees are cropped without rotating: the bundled model "
        "was trained on FER2013 faces, which are not aligned, and benchmarks/experiments/alignment.py found 10 at "
        "least as accurate as rotating every tilt, at every angle",
    )


class AlignedPreprocessor(StandardPreprocessor):
    """Rotate each face upright by its eye positions, then crop like the ``standard`` preprocessor.

    For a box with ``left_eye`` and ``right_eye`` landmarks tilted by at least
    ``min_angle`` degrees, the frame is rotated about the midpoint of the eyes
    (``cv2.getRotationMatrix2D`` / ``cv2.warpAffine``, borders replicated) so
    that the eyes are level, and the square crop of the standard preprocessor
    (same side, same margin) is cut around the rotated box centre. Everything
    else (boxes without eye landmarks, e.g. from ``haar``, nearly level eyes,
    face crops given to ``classify``) gets exactly the standard crop. Resizing,
    grayscale and scaling are the standard preprocessor's own code, so the
    output is the same ``(n, size, size, 1)`` float32 that the classifier's
    declared preprocessing asks for. Stateless, so one instance can be shared
    between threads.

    Args:
        **options: see :class:`AlignedOptions`; invalid options raise
            :class:`fer_sdk.ComponentError` naming the option.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import Box, Frame
        >>> box = Box(x=20, y=20, w=60, h=60, landmarks={"left_eye": (35, 40), "right_eye": (65, 50)})
        >>> batch = AlignedPreprocessor().prepare(Frame(np.zeros((100, 100), np.uint8)), [box])
        >>> batch.shape, batch.dtype
        ((1, 48, 48, 1), dtype('float32'))
    """

    name = "aligned"

    def __init__(self, **options: Any) -> None:
        self.aligned_options = parse_options(AlignedOptions, options, "aligned preprocessor")
        standard = self.aligned_options.model_dump(exclude={"min_angle"})
        super().__init__(**standard)
        # resizes an already rotated, already margin-grown square patch: the standard crop of the whole patch
        self._resize = StandardPreprocessor(**{**standard, "margin": 0.0})

    @classmethod
    def for_classifier(cls, classifier: EmotionClassifier, **overrides: Any) -> AlignedPreprocessor:
        """An aligned preprocessor with the preprocessing ``classifier`` declares (``standard`` or ``aligned``).

        ``EmotionRecognizer(preprocessor="aligned")`` does the same by itself:
        this class :attr:`~fer_sdk.Preprocessor.reproduces` the ``standard``
        preprocessing, so the recognizer passes it the settings the classifier
        declares (input size, scaling, margin), with ``preprocessor_options``
        over them. Use this method to build one outside a recognizer, e.g. to
        pass a ready-made instance.

        Examples:
            >>> from fer_sdk.builtin.keras_cnn import KerasClassifier
            >>> AlignedPreprocessor.for_classifier(KerasClassifier()).options.size
            48
        """
        declared = dict(classifier.preprocessing or {"name": "standard"})
        name = declared.pop("name", "standard")
        if name not in ("standard", cls.name):
            raise ComponentError(
                f"the classifier declares preprocessor {name!r}; the aligned preprocessor only reproduces "
                f"'standard' (and 'aligned') preprocessing"
            )
        return cls(**{**declared, **overrides})

    def crop(self, gray: np.ndarray, box: Box) -> np.ndarray:
        """The standard crop of ``box`` from ``gray``, rotated so the eyes are level when it has them."""
        angle = eye_angle(box)
        if angle is None or abs(angle) < self.aligned_options.min_angle:
            return super().crop(gray, box)
        marks = box.landmarks or {}
        (lx, ly), (rx, ry) = marks[LEFT_EYE], marks[RIGHT_EYE]
        side = max(1, round(max(box.w, box.h) * (1.0 + 2.0 * self.options.margin)))
        rot = cv2.getRotationMatrix2D(((lx + rx) / 2.0, (ly + ry) / 2.0), angle, 1.0)
        # the box centre in pixel-centre coordinates, where it goes under the rotation, and the patch's centre
        centre = np.array([box.x + box.w / 2.0 - 0.5, box.y + box.h / 2.0 - 0.5, 1.0])
        moved = rot @ centre
        rot[:, 2] += (side - 1) / 2.0 - moved
        patch = cv2.warpAffine(gray, rot, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return self._resize.crop(patch, Box(x=0, y=0, w=side, h=side))

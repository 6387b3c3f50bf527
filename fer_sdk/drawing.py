"""Drawing results on frames (kept apart from the result data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from fer_sdk.frame import as_image
from fer_sdk.results import FaceEmotion

__all__ = ["annotate"]

# BGR colours per emotion, stable across frames
COLOURS: dict[str, tuple[int, int, int]] = {
    "angry": (40, 40, 220),
    "disgust": (40, 140, 40),
    "fear": (150, 60, 150),
    "happy": (40, 200, 250),
    "sad": (200, 120, 40),
    "surprise": (220, 220, 40),
    "neutral": (180, 180, 180),
}


def _colour(label: str) -> tuple[int, int, int]:
    if label in COLOURS:
        return COLOURS[label]
    h = sum(label.encode()) * 2654435761 % (1 << 24)
    return (h & 255, (h >> 8) & 255, (h >> 16) & 255)


def annotate(frame: Any, faces: Sequence[FaceEmotion], *, bars: bool = True) -> np.ndarray:
    """Draw each face's box, top emotion and (optionally) a score bar per label on a copy of ``frame``.

    Args:
        frame: the image the faces were found in (BGR, gray or BGRA uint8).
        faces: the results of :meth:`~fer_sdk.EmotionRecognizer.predict`.
        bars: draw a small bar chart of all scores beside each face.

    Returns:
        A new BGR uint8 image; ``frame`` is left untouched.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import Box, FaceEmotion, annotate
        >>> face = FaceEmotion(box=Box(x=10, y=10, w=40, h=40), emotion="happy", confidence=0.9,
        ...                    scores={"happy": 0.9, "sad": 0.1})
        >>> annotate(np.zeros((100, 120), np.uint8), [face]).shape
        (100, 120, 3)
    """
    img = as_image(frame, "frame")
    out = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img.copy()
    height, width = out.shape[:2]
    thickness = max(1, round(min(height, width) / 300))
    font_scale = max(0.35, min(height, width) / 900)
    for face in faces:
        b = face.box
        colour = _colour(face.emotion)
        cv2.rectangle(out, (b.x, b.y), (b.x + b.w - 1, b.y + b.h - 1), colour, thickness)
        text = f"{face.emotion} {face.confidence:.0%}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        ty = b.y - 4 if b.y - th - base - 4 >= 0 else min(height - 1, b.y + b.h + th + 4)
        cv2.rectangle(out, (b.x, ty - th - base), (b.x + tw + 4, ty + base), colour, -1)
        cv2.putText(out, text, (b.x + 2, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0), thickness, cv2.LINE_AA)
        if bars:
            _draw_bars(out, face, font_scale)
    return out


def _draw_bars(out: np.ndarray, face: FaceEmotion, font_scale: float) -> None:
    b = face.box
    height, width = out.shape[:2]
    row = max(8, round(b.h / max(1, len(face.scores)) * 0.8))
    bar_w = max(30, b.w // 2)
    small = font_scale * 0.8
    label_w = 4 + max(cv2.getTextSize(label[:8], cv2.FONT_HERSHEY_SIMPLEX, small, 1)[0][0] for label in face.scores)
    x0 = b.x + b.w + 4
    if x0 + label_w + bar_w >= width:
        x0 = max(0, b.x - label_w - bar_w - 4)
    for i, (label, p) in enumerate(face.scores.items()):
        y = b.y + i * row
        if y + row > height:
            break
        cv2.putText(out, label[:8], (x0, y + row - 2), cv2.FONT_HERSHEY_SIMPLEX, small, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.rectangle(out, (x0 + label_w, y + 1), (x0 + label_w + bar_w, y + row - 2), (60, 60, 60), -1)
        filled = round(bar_w * float(p))
        if filled:
            cv2.rectangle(out, (x0 + label_w, y + 1), (x0 + label_w + filled, y + row - 2), _colour(label), -1)

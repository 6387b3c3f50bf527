"""Result types: plain pydantic models that serialise to JSON without help."""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Box", "EmotionPrediction", "FaceEmotion", "clip_box", "largest_first"]


class Box(BaseModel):
    """A face box in frame pixels: top-left corner ``(x, y)``, width ``w``, height ``h``.

    Attributes:
        x: left edge, pixels from the frame's left border.
        y: top edge, pixels from the frame's top border.
        w: width in pixels (at least 1).
        h: height in pixels (at least 1).
        score: the detector's confidence where it has one (Haar has none).
        landmarks: named points such as ``left_eye`` and ``right_eye`` in frame
            pixels, for detectors that give them.

    Examples:
        >>> box = Box(x=10, y=20, w=30, h=40)
        >>> box.xyxy, box.area
        ((10, 20, 40, 60), 1200)
    """

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    w: int = Field(ge=1)
    h: int = Field(ge=1)
    score: float | None = None
    landmarks: dict[str, tuple[float, float]] | None = None

    @field_validator("score")
    @classmethod
    def _finite_score(cls, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ValueError(f"score must be finite, got {v}")
        return v

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        """``(x1, y1, x2, y2)``, exclusive right and bottom edges."""
        return (self.x, self.y, self.x + self.w, self.y + self.h)

    @property
    def area(self) -> int:
        """``w * h`` in pixels."""
        return self.w * self.h

    def shifted(self, dx: int, dy: int) -> Box:
        """The same box (and landmarks) moved by ``(dx, dy)`` pixels.

        Examples:
            >>> Box(x=1, y=2, w=3, h=4).shifted(10, 20).xyxy
            (11, 22, 14, 26)
        """
        marks = None if self.landmarks is None else {k: (x + dx, y + dy) for k, (x, y) in self.landmarks.items()}
        return self.model_copy(update={"x": self.x + dx, "y": self.y + dy, "landmarks": marks})

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other`` (0 when they do not overlap).

        Examples:
            >>> Box(x=0, y=0, w=10, h=10).iou(Box(x=5, y=0, w=10, h=10))
            0.3333333333333333
        """
        ax1, ay1, ax2, ay2 = self.xyxy
        bx1, by1, bx2, by2 = other.xyxy
        iw = max(0, min(ax2, bx2) - max(ax1, bx1))
        ih = max(0, min(ay2, by2) - max(ay1, by1))
        inter = iw * ih
        return inter / float(self.area + other.area - inter) if inter else 0.0


def clip_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> Box | None:
    """The box with corners ``(x1, y1)`` and ``(x2, y2)`` rounded to pixels and clipped to a ``width x height`` frame.

    Returns ``None`` when nothing of it lies inside the frame.

    Examples:
        >>> clip_box(-5.2, 10.4, 30.6, 250.0, 100, 200).xyxy
        (0, 10, 31, 200)
        >>> clip_box(120, 0, 150, 40, 100, 200) is None
        True
    """
    left, top = max(0, round(x1)), max(0, round(y1))
    right, bottom = min(width, round(x2)), min(height, round(y2))
    if right <= left or bottom <= top:
        return None
    return Box(x=left, y=top, w=right - left, h=bottom - top)


def largest_first(boxes: Iterable[Box]) -> list[Box]:
    """``boxes`` in result order: largest area first; ties top to bottom, then left to right.

    Examples:
        >>> [b.xyxy for b in largest_first([Box(x=5, y=0, w=2, h=2), Box(x=0, y=0, w=2, h=2), Box(x=0, y=0, w=3, h=3)])]
        [(0, 0, 3, 3), (0, 0, 2, 2), (5, 0, 7, 2)]
    """
    return sorted(boxes, key=lambda b: (-b.area, b.y, b.x))


class EmotionPrediction(BaseModel):
    """The emotion of one face: top label, its probability, and every label's probability.

    Attributes:
        emotion: the most probable label.
        confidence: its probability, in ``[0, 1]``.
        scores: label -> probability for every label, in the model's label
            order, summing to 1.

    Examples:
        >>> p = EmotionPrediction.from_scores(["happy", "sad"], [0.75, 0.25])
        >>> p.emotion, p.confidence
        ('happy', 0.75)
    """

    model_config = ConfigDict(frozen=True)

    emotion: str
    confidence: float = Field(ge=0.0, le=1.0)
    scores: dict[str, float]

    @model_validator(mode="after")
    def _consistent(self) -> EmotionPrediction:
        if self.emotion not in self.scores:
            raise ValueError(f"emotion {self.emotion!r} is not one of the scored labels {list(self.scores)}")
        return self

    @classmethod
    def from_scores(cls, labels: list[str] | tuple[str, ...], probs: object) -> EmotionPrediction:
        """Build from labels and a probability vector (renormalised to sum to 1)."""
        values = [float(p) for p in probs]  # type: ignore[attr-defined]
        total = sum(values)
        if len(values) != len(labels) or not math.isfinite(total) or total <= 0:
            raise ValueError(f"expected {len(labels)} finite probabilities with a positive sum, got {values}")
        values = [v / total for v in values]
        top = max(range(len(values)), key=values.__getitem__)
        return cls(
            emotion=labels[top],
            confidence=min(1.0, max(0.0, values[top])),
            scores=dict(zip(labels, values, strict=True)),
        )


class FaceEmotion(EmotionPrediction):
    """One detected face: its :class:`Box` and its emotion.

    Examples:
        >>> face = FaceEmotion(box=Box(x=0, y=0, w=48, h=48), emotion="happy",
        ...                    confidence=1.0, scores={"happy": 1.0})
        >>> face.model_dump()["box"]["w"]
        48
    """

    box: Box

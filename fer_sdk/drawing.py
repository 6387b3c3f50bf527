"""Drawing results on frames (kept apart from the result data).

Each face gets its box and a tag with its emotion in the emotion's colour (the
colours of the plots in :mod:`fer_sdk.figures`), and a panel of score bars beside
it: on a dark, half-transparent background with outlined text, so that it reads
on light and dark pictures alike. The panel scales with the face, is placed
inside the frame and off the face (right, left, below or above it, whichever
fits first), and shrinks to a compact form, the three highest scores, where a
small face leaves no room for seven rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from fer_sdk.frame import as_image
from fer_sdk.results import FaceEmotion

__all__ = ["EMOTION_COLOURS", "FaceLayout", "Rect", "annotate", "colour_bgr", "colour_rgb", "layout"]

EMOTION_COLOURS: dict[str, str] = {
    "angry": "#d62728",
    "disgust": "#2ca02c",
    "fear": "#9467bd",
    "happy": "#e8b000",
    "sad": "#1f77b4",
    "surprise": "#ff7f0e",
    "neutral": "#8c8c8c",
}
"""One colour per emotion (hex RGB), the same in :func:`annotate` and in the plots."""

FONT = cv2.FONT_HERSHEY_SIMPLEX
MIN_ROW = 14  # pixels: the smallest score row whose text is still readable
MAX_ROW = 26
COMPACT_ROWS = 3  # the compact panel: the three highest scores
GAP = 4  # pixels between the box and the panel


def colour_rgb(label: str) -> str:
    """The colour of ``label`` as hex RGB (``#rrggbb``), for matplotlib; other labels get a stable colour of their own.

    Examples:
        >>> colour_rgb("happy")
        '#e8b000'
    """
    if label in EMOTION_COLOURS:
        return EMOTION_COLOURS[label]
    h = sum(label.encode()) * 2654435761 % (1 << 24)
    return f"#{h:06x}"


def colour_bgr(label: str) -> tuple[int, int, int]:
    """The colour of ``label`` as a BGR tuple, for OpenCV.

    Examples:
        >>> colour_bgr("happy")
        (0, 176, 232)
    """
    rgb = colour_rgb(label)
    r, g, b = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
    return (b, g, r)


def _text_colour(bgr: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black on light colours, white on dark ones."""
    b, g, r = bgr
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


@dataclass(frozen=True)
class Rect:
    """A rectangle in frame pixels: ``x, y`` its top-left corner, ``w, h`` its size."""

    x: int
    y: int
    w: int
    h: int

    def overlap(self, other: Rect) -> int:
        """The area shared with ``other``."""
        dx = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        dy = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        return max(0, dx) * max(0, dy)

    def union(self, other: Rect) -> Rect:
        """The smallest rectangle holding both."""
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        x1, y1 = max(self.x + self.w, other.x + other.w), max(self.y + self.h, other.y + other.h)
        return Rect(x0, y0, x1 - x0, y1 - y0)

    def inside(self, width: int, height: int) -> bool:
        """Whether it lies entirely inside a frame of ``width`` x ``height``."""
        return self.x >= 0 and self.y >= 0 and self.x + self.w <= width and self.y + self.h <= height


@dataclass(frozen=True)
class FaceLayout:
    """Where :func:`annotate` draws one face's parts: its tag and its score panel (``None`` without bars)."""

    box: Rect
    tag: Rect
    tag_scale: float
    panel: Rect | None
    rows: tuple[str, ...]
    row_height: int
    label_width: int
    font_scale: float


def _font_for(height: int) -> float:
    """The font scale whose text (with descenders) fits a row of ``height`` pixels, with a margin."""
    return max(0.33, height / 40.0)


def _panel_size(rows: Sequence[str], row_h: int) -> tuple[int, int, float, int]:
    scale = _font_for(row_h)
    label_w = max(cv2.getTextSize(label, FONT, scale, 1)[0][0] for label in rows) + 6
    bar_w = max(30, 3 * row_h)
    return label_w + bar_w + 4, row_h * len(rows) + 4, scale, label_w


def _place(
    size: tuple[int, int], box: Rect, obstacles: Sequence[Rect], width: int, height: int, sides: bool
) -> tuple[Rect, int] | None:
    """The first position beside ``box`` (right, left; or below, above) inside the frame, with its overlap."""
    pw, ph = size
    if pw > width or ph > height:
        return None
    y_side = min(max(0, box.y), height - ph)
    x_side = min(max(0, box.x), width - pw)
    if sides:
        candidates = [Rect(box.x + box.w + GAP, y_side, pw, ph), Rect(box.x - GAP - pw, y_side, pw, ph)]
    else:
        candidates = [Rect(x_side, box.y + box.h + GAP, pw, ph), Rect(x_side, box.y - GAP - ph, pw, ph)]
    best: tuple[Rect, int] | None = None
    for rect in candidates:
        if not rect.inside(width, height):
            continue
        cost = sum(rect.overlap(o) for o in obstacles)
        if cost == 0:
            return rect, 0
        if best is None or cost < best[1]:
            best = (rect, cost)
    return best


def _tag(face: FaceEmotion, box: Rect, width: int, height: int) -> tuple[Rect, float]:
    text = f"{face.emotion} {face.confidence:.0%}"
    tag_h = int(min(max(MIN_ROW + 2, box.h * 0.12), MAX_ROW))
    scale = _font_for(tag_h)
    (tw, _), _ = cv2.getTextSize(text, FONT, scale, 1)
    w = min(tw + 6, width)
    x = min(max(0, box.x), width - w)
    y = box.y - tag_h if box.y - tag_h >= 0 else box.y + box.h  # above the box, else below it
    if y + tag_h > height:  # no room above or below: inside, at the top of the box
        y = max(0, box.y)
    return Rect(x, y, w, tag_h), scale


def layout(shape: tuple[int, ...], faces: Sequence[FaceEmotion], *, bars: bool = True) -> list[FaceLayout]:
    """Where :func:`annotate` puts each face's tag and score panel in a frame of ``shape``.

    The panel's rows are as high as a seventh of the face (within 14 and 26
    pixels). It goes right or left of the face, in the largest size that lies
    inside the frame and covers no face's box or tag and no panel placed before
    it; failing that below or above the face; failing that the compact panel
    (the three highest scores) is placed the same way. Where nothing fits, the panel goes where it
    covers the least.

    Examples:
        >>> from fer_sdk import Box, FaceEmotion
        >>> face = FaceEmotion(box=Box(x=10, y=10, w=40, h=40), emotion="happy", confidence=0.9,
        ...                    scores={"happy": 0.9, "sad": 0.1})
        >>> [spot] = layout((200, 240), [face])
        >>> spot.panel.x >= 10 + 40, spot.panel.inside(240, 200), spot.rows
        (True, True, ('happy', 'sad'))
    """
    height, width = int(shape[0]), int(shape[1])
    boxes = [Rect(f.box.x, f.box.y, f.box.w, f.box.h) for f in faces]
    tags = [_tag(face, box, width, height) for face, box in zip(faces, boxes, strict=True)]
    placed: list[Rect] = []  # the panels so far: later panels keep off them
    out: list[FaceLayout] = []
    for i, face in enumerate(faces):
        box = boxes[i]
        tag, tag_scale = tags[i]
        if not bars or not face.scores:
            out.append(FaceLayout(box, tag, tag_scale, None, (), 0, 0, 0.0))
            continue
        obstacles = [*boxes, *(t for t, _ in tags), *placed]
        block = box.union(tag)  # the panel goes beside the face and its tag
        full = tuple(face.scores)
        top = tuple(sorted(full, key=lambda k: -face.scores[k])[:COMPACT_ROWS])
        preferred = int(min(max(MIN_ROW, round(box.h / max(1, len(full)))), MAX_ROW))
        sizes = [(full, h) for h in range(preferred, MIN_ROW - 1, -2)]
        options = [(rows, h, True) for rows, h in sizes] + [(rows, h, False) for rows, h in sizes]
        if len(full) > COMPACT_ROWS:
            compact_h = int(min(max(MIN_ROW, round(box.h / 4)), MAX_ROW))
            sizes = [(top, h) for h in range(compact_h, MIN_ROW - 1, -2)]
            options += [(rows, h, True) for rows, h in sizes] + [(rows, h, False) for rows, h in sizes]
        best: tuple[int, Rect, tuple[str, ...], int, float, int] | None = None
        for rows, row_h, sides in options:
            pw, ph, scale, label_w = _panel_size(rows, row_h)
            found = _place((pw, ph), block, obstacles, width, height, sides)
            if found is None:
                continue
            rect, cost = found
            if best is None or cost < best[0]:
                best = (cost, rect, rows, row_h, scale, label_w)
            if cost == 0:
                break
        if best is None:  # a frame smaller than the smallest panel: over the face, clipped by the frame
            rows, row_h = top, MIN_ROW
            pw, ph, scale, label_w = _panel_size(rows, row_h)
            best = (0, Rect(max(0, min(box.x, width - pw)), max(0, min(box.y, height - ph)), pw, ph), rows, row_h,
                    scale, label_w)  # fmt: skip
        _, rect, rows, row_h, scale, label_w = best
        placed.append(rect)
        out.append(FaceLayout(box, tag, tag_scale, rect, rows, row_h, label_w, scale))
    return out


def _outlined_text(
    img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int]
) -> None:
    """Text with a dark outline: readable on any background."""
    cv2.putText(img, text, org, FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, scale, colour, 1, cv2.LINE_AA)


def _shade(img: np.ndarray, rect: Rect, alpha: float = 0.65) -> None:
    """Darken ``rect`` (clipped to the frame) towards black."""
    x0, y0 = max(0, rect.x), max(0, rect.y)
    x1, y1 = min(img.shape[1], rect.x + rect.w), min(img.shape[0], rect.y + rect.h)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi.astype(np.float32) * (1.0 - alpha) + 20 * alpha).astype(np.uint8)


def annotate(frame: Any, faces: Sequence[FaceEmotion], *, bars: bool = True) -> np.ndarray:
    """Draw each face's box, top emotion and (optionally) a panel of score bars on a copy of ``frame``.

    Args:
        frame: the image the faces were found in (BGR, gray or BGRA uint8).
        faces: the results of :meth:`~fer_sdk.EmotionRecognizer.predict`.
        bars: draw a small bar chart of the scores beside each face (see :func:`layout`
            for where it goes and how large it is).

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
    out = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img[:, :, :3].copy()
    spots = layout(out.shape, faces, bars=bars)
    for face, spot in zip(faces, spots, strict=True):  # boxes first: no box is drawn over a panel
        b = spot.box
        colour = colour_bgr(face.emotion)
        thickness = max(1, round(min(b.w, b.h) / 80))
        x1, y1 = b.x + b.w - 1, b.y + b.h - 1
        cv2.rectangle(out, (b.x, b.y), (x1, y1), (0, 0, 0), thickness + 2)  # dark edge: visible on light pictures
        cv2.rectangle(out, (b.x, b.y), (x1, y1), colour, thickness)
    for face, spot in zip(faces, spots, strict=True):
        colour = colour_bgr(face.emotion)
        t = spot.tag
        cv2.rectangle(out, (t.x, t.y), (t.x + t.w - 1, t.y + t.h - 1), colour, -1)
        baseline = t.y + t.h - max(2, round(t.h * 0.25))
        text = f"{face.emotion} {face.confidence:.0%}"
        cv2.putText(out, text, (t.x + 3, baseline), FONT, spot.tag_scale, _text_colour(colour), 1, cv2.LINE_AA)
        if spot.panel is not None:
            _draw_panel(out, face, spot)
    return out


def _draw_panel(out: np.ndarray, face: FaceEmotion, spot: FaceLayout) -> None:
    p = spot.panel
    assert p is not None
    _shade(out, p)
    row_h = spot.row_height
    bar_x = p.x + spot.label_width
    bar_w = p.w - spot.label_width - 4
    for i, label in enumerate(spot.rows):
        y = p.y + 2 + i * row_h
        baseline = y + row_h - max(2, round(row_h * 0.22))
        _outlined_text(out, label, (p.x + 3, baseline), spot.font_scale, (255, 255, 255))
        top, bottom = y + 2, y + row_h - 3
        cv2.rectangle(out, (bar_x, top), (bar_x + bar_w, bottom), (90, 90, 90), -1)
        filled = round(bar_w * float(face.scores[label]))
        if filled:
            cv2.rectangle(out, (bar_x, top), (bar_x + filled, bottom), colour_bgr(label), -1)

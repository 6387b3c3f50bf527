"""Video and streams: per-frame results over time, face tracks, temporal smoothing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from fer_sdk._quiet import dependency_output
from fer_sdk.errors import ConfigError, FerSdkError, InvalidImageError
from fer_sdk.frame import Frame
from fer_sdk.results import Box, EmotionPrediction, FaceEmotion, clip_box, largest_first

__all__ = [
    "VIDEO_SUFFIXES",
    "FrameResult",
    "IouTracker",
    "StreamOptions",
    "StreamProcessor",
    "TrackedFace",
    "open_source",
]

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})
"""File suffixes read as videos (``fer-sdk predict VIDEO``, :mod:`fer_sdk.batch`)."""


class TrackedFace(FaceEmotion):
    """A face in a stream: a :class:`~fer_sdk.FaceEmotion` with a ``track_id`` stable across frames.

    With smoothing on, ``emotion``, ``confidence`` and ``scores`` are the smoothed
    values and ``raw_scores`` holds this frame's own.
    """

    track_id: int = Field(ge=0)
    raw_scores: dict[str, float] | None = None


class FrameResult(BaseModel):
    """The result of one frame of a stream.

    Attributes:
        index: frame number in the source, from 0 (frames skipped by ``every`` are not yielded).
        timestamp: seconds from the start of the source (None when unknown).
        faces: the faces found, largest first.
    """

    model_config = ConfigDict(frozen=True)

    index: int
    timestamp: float | None
    faces: list[TrackedFace]


class StreamOptions(BaseModel):
    """Options of :meth:`fer_sdk.EmotionRecognizer.stream` (unknown keys are errors).

    Examples:
        >>> StreamOptions(smoothing="ema", alpha=0.3).alpha
        0.3
    """

    model_config = ConfigDict(extra="forbid")

    every: int = Field(1, ge=1, description="process every N-th frame")
    detect_every: int = Field(
        1,
        ge=1,
        description="search the whole frame for faces on every N-th processed frame; on the others, search only "
        "around the faces being tracked (several times faster; a face entering the picture is found within N frames)",
    )
    roi_margin: float = Field(
        0.5,
        gt=0,
        le=2,
        description="between whole-frame searches, the margin searched around a tracked face, "
        "as a fraction of its size on each side",
    )
    track: bool = Field(True, description="give faces a track_id stable across frames")
    iou_threshold: float = Field(0.3, gt=0, le=1, description="least IoU to continue a track")
    max_age: int = Field(10, ge=0, description="processed frames a track survives without its face")
    smoothing: Literal["none", "ema", "window"] = Field("none", description="temporal smoothing of each track")
    alpha: float = Field(0.4, gt=0, le=1, description="EMA weight of the newest frame")
    window: int = Field(5, ge=1, description="frames averaged by window smoothing")
    fps: float | None = Field(None, gt=0, description="frame rate for timestamps of plain frame iterables")

    @model_validator(mode="after")
    def _smoothing_needs_tracks(self) -> StreamOptions:
        if self.smoothing != "none" and not self.track:
            raise ConfigError("smoothing works per track: it needs track=True")
        if self.detect_every > 1 and not self.track:
            raise ConfigError("detect_every > 1 searches around tracked faces: it needs track=True")
        return self


@dataclass
class _Track:
    track_id: int
    box: Box
    age: int = 0
    ema: np.ndarray | None = None
    history: list[np.ndarray] = field(default_factory=list)


class IouTracker:
    """Greedy IoU tracker: each face continues the unmatched track it overlaps most.

    Examples:
        >>> t = IouTracker()
        >>> t.update([Box(x=0, y=0, w=10, h=10)]), t.update([Box(x=1, y=0, w=10, h=10)])
        ([0], [0])
    """

    def __init__(self, iou_threshold: float = 0.3, max_age: int = 10) -> None:
        self.iou_threshold = iou_threshold
        self.max_age = max_age
        self.tracks: list[_Track] = []
        self._next = 0

    def update(self, boxes: list[Box]) -> list[int]:
        """Assign a track id to each box (in the order given); age and drop unseen tracks."""
        pairs = sorted(
            ((b.iou(t.box), i, j) for i, b in enumerate(boxes) for j, t in enumerate(self.tracks)),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(boxes)
        used: set[int] = set()
        for iou, i, j in pairs:
            if iou < self.iou_threshold:
                break
            if ids[i] is None and j not in used:
                ids[i] = self.tracks[j].track_id
                used.add(j)
                self.tracks[j].box, self.tracks[j].age = boxes[i], 0
        for j, track in enumerate(self.tracks):
            if j not in used:
                track.age += 1
        for i, box in enumerate(boxes):
            if ids[i] is None:
                ids[i] = self._next
                self.tracks.append(_Track(self._next, box))
                self._next += 1
        self.tracks = [t for t in self.tracks if t.age <= self.max_age]
        return [int(x) for x in ids if x is not None]

    def track(self, track_id: int) -> _Track:
        return next(t for t in self.tracks if t.track_id == track_id)


def smooth(track: _Track, probs: np.ndarray, opts: StreamOptions) -> np.ndarray:
    """Update ``track``'s smoothing state with this frame's ``probs`` and return the smoothed scores."""
    if opts.smoothing == "ema":
        track.ema = probs if track.ema is None else opts.alpha * probs + (1 - opts.alpha) * track.ema
        return track.ema
    if opts.smoothing == "window":
        track.history = [*track.history[-(opts.window - 1) :], probs] if opts.window > 1 else [probs]
        return np.asarray(np.mean(track.history, axis=0))
    return probs


def open_source(source: Any, fps: float | None = None) -> Iterator[tuple[int, float | None, np.ndarray]]:
    """Iterate ``(index, timestamp, frame)`` over a video file, a camera index or an iterable of frames."""
    if isinstance(source, (str, Path)) or (isinstance(source, int) and not isinstance(source, bool)):
        yield from _capture(source)
        return
    if isinstance(source, np.ndarray) or not isinstance(source, Iterable):
        raise InvalidImageError(
            f"stream source: got {type(source).__name__}; expected a video file path, a camera index "
            "or an iterable of frames"
        )
    for index, frame in enumerate(source):
        yield index, (index / fps if fps else None), frame


def _capture(source: str | Path | int) -> Iterator[tuple[int, float | None, np.ndarray]]:
    import cv2

    if isinstance(source, (str, Path)) and not Path(source).is_file():
        raise FerSdkError(f"video file {source} does not exist")
    with dependency_output():  # OpenCV's own warnings (e.g. "can't open camera by index") go to logging
        cap = cv2.VideoCapture(str(source) if isinstance(source, Path) else source)
    try:
        if not cap.isOpened():
            if isinstance(source, int):
                raise FerSdkError(f"no camera at index {source} (none attached, or another program is using it)")
            raise FerSdkError(f"cannot open video source {source!r} (not a video OpenCV can read, or no such camera)")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            pos = cap.get(cv2.CAP_PROP_POS_MSEC)
            stamp = pos / 1000.0 if pos and pos > 0 else (index / fps if fps > 0 else None)
            yield index, stamp, frame
            index += 1
    finally:
        cap.release()


def video_info(path: str | Path) -> tuple[int, float, int, int]:
    """``(frame count, fps, width, height)`` of a video file (count and fps may be 0 when unknown)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FerSdkError(f"cannot open video {path}")
        return (
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
            float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        cap.release()


def tracked(
    faces: list[FaceEmotion], tracker: IouTracker | None, opts: StreamOptions, labels: tuple[str, ...]
) -> list[TrackedFace]:
    """Attach track ids (and smoothed scores) to one frame's faces."""
    if tracker is None:
        return [TrackedFace(**f.model_dump(), track_id=i) for i, f in enumerate(faces)]
    ids = tracker.update([f.box for f in faces])
    out = []
    for face, track_id in zip(faces, ids, strict=True):
        raw = np.array([face.scores[label] for label in labels])
        smoothed = smooth(tracker.track(track_id), raw, opts)
        if opts.smoothing == "none":
            out.append(TrackedFace(**face.model_dump(), track_id=track_id))
            continue
        pred = EmotionPrediction.from_scores(labels, smoothed)
        out.append(
            TrackedFace(
                box=face.box,
                emotion=pred.emotion,
                confidence=pred.confidence,
                scores=pred.scores,
                track_id=track_id,
                raw_scores=face.scores,
            )
        )
    return out


class StreamProcessor:
    """Frame-by-frame state of a stream (tracker and smoothing) for one recognizer.

    :meth:`fer_sdk.EmotionRecognizer.stream` uses one; use it directly when you
    read the frames yourself and also need them (e.g. to draw on them).

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import EmotionRecognizer
        >>> proc = StreamProcessor(EmotionRecognizer(), smoothing="ema")
        >>> proc.process(0, 0.0, np.zeros((120, 160, 3), np.uint8)).faces
        []
    """

    def __init__(self, recognizer: Any, **options: Any) -> None:
        self.recognizer = recognizer
        self.options = StreamOptions.model_validate(options)
        opts = self.options
        self.tracker = IouTracker(opts.iou_threshold, opts.max_age) if opts.track else None
        self._processed = 0

    def process(self, index: int, timestamp: float | None, frame: Any) -> FrameResult:
        """Recognise one frame and attach track ids and smoothed scores."""
        f = frame if isinstance(frame, Frame) else Frame(frame)
        opts = self.options
        near_tracks = self.tracker is not None and self.tracker.tracks and self._processed % opts.detect_every != 0
        self._processed += 1
        if near_tracks:
            faces = self.recognizer.predict(f, boxes=self._search_near_tracks(f))
        else:
            faces = self.recognizer.predict(f)
        labels = tuple(self.recognizer.labels)
        return FrameResult(index=index, timestamp=timestamp, faces=tracked(faces, self.tracker, self.options, labels))

    def _search_near_tracks(self, frame: Frame) -> list[Box]:
        """Search a window around each tracked face; the face found for each track, largest first."""
        assert self.tracker is not None
        margin = self.options.roi_margin
        found: list[Box] = []
        for track in self.tracker.tracks:
            b = track.box
            area = clip_box(
                b.x - margin * b.w,
                b.y - margin * b.h,
                b.x + b.w * (1 + margin),
                b.y + b.h * (1 + margin),
                frame.width,
                frame.height,
            )
            if area is None:
                continue
            window = frame.crop(area.x, area.y, area.w, area.h)
            # one face per track: the box that overlaps the track's last box most
            near = [box.shifted(area.x, area.y) for box in self.recognizer.detect(window)]
            best = max(near, key=b.iou, default=None)
            if best is not None and b.iou(best) > 0 and all(best.iou(other) < 0.5 for other in found):
                found.append(best)
        found = largest_first(found)
        max_faces = self.recognizer.options.max_faces
        return found[:max_faces] if max_faces is not None else found

    def frames(self, source: Any) -> Iterator[tuple[np.ndarray, FrameResult]]:
        """``(frame, result)`` for every processed frame of ``source`` (every N-th with ``every``)."""
        for index, stamp, frame in open_source(source, self.options.fps):
            if index % self.options.every == 0:
                yield frame, self.process(index, stamp, frame)

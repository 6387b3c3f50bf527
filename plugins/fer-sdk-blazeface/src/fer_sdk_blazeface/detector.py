"""The BlazeFace detector: model files, SSD anchors, letterboxing, tiles, weighted NMS, boxes with landmarks."""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, NamedTuple

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.errors import ModelLoadError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import FaceDetector, parse_options
from fer_sdk.results import Box

__all__ = [
    "LANDMARKS",
    "MODELS",
    "BlazeFaceDetector",
    "BlazeFaceOptions",
    "ModelSpec",
    "Pass",
    "anchors",
    "model_bytes",
    "tiles",
    "weighted_nms",
]

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear")
"""Names of the points in :attr:`fer_sdk.Box.landmarks`, in the model's order.

``left_eye`` and ``left_ear`` are the ones nearer the frame's left edge on an
upright face (the person's right eye and ear), as fer_sdk detectors name them;
``nose`` is the tip of the nose, ``mouth`` the centre of the mouth. The ears are
the tragions, estimated even when hidden."""


@dataclass(frozen=True)
class ModelSpec:
    """One bundled BlazeFace model: its file, checksum and the SSD anchor layout of its MediaPipe graph."""

    file: str
    sha256: str
    side: int
    """The input side the model was trained at (its file's input shape)."""
    strides: tuple[int, ...]
    anchors_per_layer: int  # 2 with MediaPipe's interpolated_scale_aspect_ratio 1.0, 1 with 0.0
    min_face: float
    """The smallest face side, in input pixels, that the search plans for (measured, see the README)."""
    max_face: float
    """The largest face side, in input pixels, that one pass is trusted with."""
    resizable: bool
    """Whether the model runs on inputs of other sizes (multiples of the largest stride), as a convolution does."""


MODELS: dict[str, ModelSpec] = {
    # face_detection_short_range.pbtxt: num_layers 4, strides 8, 16, 16, 16, interpolated_scale_aspect_ratio 1.0
    "short": ModelSpec(
        file="face_detection_short_range.tflite",
        sha256="bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        side=128,
        strides=(8, 16, 16, 16),
        anchors_per_layer=2,
        min_face=33.0,
        max_face=112.0,
        resizable=True,
    ),
    # face_detection_full_range.pbtxt: num_layers 1, stride 4, interpolated_scale_aspect_ratio 0.0
    "full": ModelSpec(
        file="face_detection_full_range_sparse.tflite",
        sha256="2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        side=192,
        strides=(4,),
        anchors_per_layer=1,
        min_face=16.0,
        max_face=192.0,
        resizable=False,
    ),
}
"""The bundled models by name (files from the ``mediapipe`` 0.10.21 wheel; see the plugin's README)."""

MAX_DEFAULT_THREADS = 2
"""Threads per interpreter by default (more do not help inputs this small)."""

MAX_SCALE = 2.0
"""The most a frame is enlarged for small faces (``min_size`` below the model's ``min_face``)."""


class BlazeFaceOptions(BaseModel):
    """Options of :class:`BlazeFaceDetector` (unknown keys are errors).

    Examples:
        >>> BlazeFaceOptions(min_size=32).min_size
        32
        >>> BlazeFaceOptions().model
        'short'
    """

    model_config = ConfigDict(extra="forbid")

    model: Literal["short", "full"] = Field(
        "short",
        description="'short': face_detection_short_range, run on the whole frame at a few scales (any "
        "input size); 'full': face_detection_full_range_sparse, a fixed 192x192 input, on the whole frame and, for "
        "small faces, on overlapping tiles (slower, and fewer faces found in benchmarks/detector_compare.py)",
    )
    min_size: int = Field(
        48,
        ge=16,
        le=4096,
        description="smallest face side in frame pixels; the finest pass scales the frame so that such a face "
        "is the model's smallest, so a smaller min_size is slower (24 about 3 times as slow as 48 on 640x480)",
    )
    score_threshold: float = Field(
        0.62,
        gt=0.0,
        lt=1.0,
        description="keep faces whose score is at least this (MediaPipe uses 0.5; with min_box_ratio 0.8, 0.62 "
        "finds more faces than mtcnn with fewer false boxes than haar: "
        "benchmarks/experiments/blazeface_defaults.py)",
    )
    min_box_ratio: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="drop boxes whose longer side is below this fraction of min_size (0 keeps every box): most "
        "false boxes are small, and a face smaller than min_size is found only by chance",
    )
    scale_overlap: float = Field(
        0.25,
        ge=0.0,
        le=0.5,
        description="share of a pass's range of face sizes that the next coarser pass searches again (the "
        "'short' model's passes each see faces of 33 to 112 input pixels); more overlap means more and larger "
        "passes: on 640x480, 0.1 makes two (448x336 and 144x112 with min_size 48), 0.25 three, which found 1.6 "
        "points more faces in 8% more time (benchmarks/experiments/blazeface_defaults.py)",
    )
    nms_threshold: float = Field(
        0.3,
        gt=0.0,
        le=1.0,
        description="boxes overlapping a higher-scoring one by more than this IoU are merged into it "
        "(MediaPipe's weighted non-maximum suppression: the kept box is the score-weighted mean of its group)",
    )
    threads: int | None = Field(
        None,
        ge=1,
        le=64,
        description=f"threads of each LiteRT interpreter; None: the usable cores, at most {MAX_DEFAULT_THREADS}",
    )


class Pass(NamedTuple):
    """One run of the model: the frame ``region`` ``(x, y, w, h)`` scaled by ``scale`` onto an input of ``size``."""

    region: tuple[int, int, int, int]
    scale: float
    size: tuple[int, int]
    """The model input's ``(width, height)``; the scaled region sits at its top left, zeros around it."""


def anchors(spec: ModelSpec, width: int | None = None, height: int | None = None) -> np.ndarray:
    """Anchor centres ``(n, 2)`` as ``(x, y)`` input pixels, in the model's output order.

    MediaPipe's ``SsdAnchorsCalculator`` with ``fixed_anchor_size``: for each run of
    layers with the same stride, a grid of ``size / stride`` cells (rows, then
    columns), each cell holding ``anchors_per_layer`` anchors per layer of that run.
    ``width`` and ``height`` default to the model's own input side.

    Examples:
        >>> len(anchors(MODELS["short"])), len(anchors(MODELS["full"])), len(anchors(MODELS["short"], 256, 192))
        (896, 2304, 2688)
    """
    width, height = width or spec.side, height or spec.side
    out = []
    i = 0
    strides = spec.strides
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        stride = strides[i]
        cols, rows = math.ceil(width / stride), math.ceil(height / stride)
        ys, xs = np.meshgrid(
            (np.arange(rows, dtype=np.float32) + 0.5) * stride,
            (np.arange(cols, dtype=np.float32) + 0.5) * stride,
            indexing="ij",
        )
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        out.append(np.repeat(centres, spec.anchors_per_layer * (j - i), axis=0))
        i = j
    return np.concatenate(out)


def _iou_one(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def weighted_nms(rows: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's weighted non-maximum suppression.

    ``rows`` are ``(n, 4 + 2k)``: ``x1, y1, x2, y2`` and ``k`` points. Repeatedly the
    best-scoring row and every row overlapping it by more than ``threshold`` (IoU)
    form a group; the group becomes one row, the score-weighted mean of its rows,
    with the best score. Returns the kept rows and scores, best first.

    Examples:
        >>> rows = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
        >>> kept, s = weighted_nms(rows, np.array([0.9, 0.6, 0.8]), 0.3)
        >>> [round(float(v), 2) for v in kept[:, 0]], [round(float(v), 2) for v in s]
        ([0.4, 50.0], [0.9, 0.8])
    """
    order = np.argsort(-scores, kind="stable")
    rows, scores = rows[order], scores[order]
    kept_rows, kept_scores = [], []
    alive = np.ones(len(rows), bool)
    for i in range(len(rows)):
        if not alive[i]:
            continue
        idx = np.flatnonzero(alive)
        group = idx[_iou_one(rows[i], rows[idx]) > threshold]
        group = np.union1d(group, [i])
        weights = scores[group]
        kept_rows.append((rows[group] * weights[:, None]).sum(axis=0) / weights.sum())
        kept_scores.append(scores[i])
        alive[group] = False
    if not kept_rows:
        return np.zeros((0, rows.shape[1]), np.float32), np.zeros(0, np.float32)
    return np.stack(kept_rows).astype(np.float32), np.asarray(kept_scores, np.float32)


def tiles(width: int, height: int, side: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Square tiles ``(x, y, w, h)`` of ``side`` pixels covering a ``width x height`` frame.

    Neighbouring tiles overlap by at least ``overlap`` pixels, so that a face up to
    that size lies wholly inside one tile. Tiles are clipped to the frame.

    Examples:
        >>> tiles(640, 480, 384, 48)
        [(0, 0, 384, 384), (256, 0, 384, 384), (0, 96, 384, 384), (256, 96, 384, 384)]
    """

    def starts(length: int) -> list[int]:
        if length <= side:
            return [0]
        n = math.ceil((length - overlap) / (side - overlap))
        step = (length - side) / (n - 1)
        return [round(k * step) for k in range(n)]

    return [(x, y, min(side, width - x), min(side, height - y)) for y in starts(height) for x in starts(width)]


class _Model:
    """One LiteRT interpreter of a bundled model at one input size (not thread-safe: one per thread)."""

    def __init__(self, spec: ModelSpec, content: bytes, threads: int, size: tuple[int, int]) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            try:  # TensorFlow's own copy of the same runtime (fer_sdk's default classifier brings TensorFlow)
                from tensorflow.lite.python.interpreter import Interpreter
            except ImportError:
                raise ModelLoadError(
                    "the blazeface detector needs the LiteRT runtime: pip install ai-edge-litert"
                ) from None
        width, height = size
        try:
            self.interpreter: Any = Interpreter(model_content=content, num_threads=threads)
            self.input_index = self.interpreter.get_input_details()[0]["index"]
            if (width, height) != (spec.side, spec.side):
                self.interpreter.resize_tensor_input(self.input_index, [1, height, width, 3], strict=False)
            self.interpreter.allocate_tensors()
        except Exception as exc:
            raise ModelLoadError(
                f"LiteRT cannot load {spec.file} for a {width}x{height} input: {type(exc).__name__}: {exc}"
            ) from exc
        outputs = {int(d["shape"][-1]): d["index"] for d in self.interpreter.get_output_details()}
        self.boxes_index, self.scores_index = outputs[16], outputs[1]
        self.anchors = anchors(spec, width, height)
        self.batch = np.zeros((1, height, width, 3), np.float32)
        """The input, reused: the image at its top left, zeros (grey in [-1, 1]) around it."""

    def fill(self, image: np.ndarray) -> np.ndarray:
        """The input for a BGR uint8 ``image`` no larger than the input: RGB in [-1, 1], zeros around it."""
        h, w = image.shape[:2]
        batch = self.batch
        batch[0, h:] = 0.0
        batch[0, :h, w:] = 0.0
        view = batch[0, :h, :w]
        # BGR -> RGB (OpenCV: a contiguous copy), [0, 255] -> [-1, 1] written in place into the input: no
        # float temporaries of the frame
        np.multiply(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), np.float32(2.0 / 255.0), out=view, casting="unsafe")
        view -= np.float32(1.0)
        return batch

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.boxes_index)[0], self.interpreter.get_tensor(self.scores_index)[0, :, 0]


_CONTENT: dict[str, bytes] = {}
_CONTENT_LOCK = threading.Lock()
MAX_SIZES = 16
"""Interpreters kept per thread, one per input size (a video has one or two sizes; a folder of photos more)."""


def model_bytes(name: str) -> bytes:
    """The bundled model file ``name`` (``short`` or ``full``), read once and checked against its SHA-256.

    Raises:
        ModelLoadError: when the file is missing or its SHA-256 differs from the one in :data:`MODELS`.

    Examples:
        >>> len(model_bytes("short"))
        229714
    """
    with _CONTENT_LOCK:
        if name not in _CONTENT:
            spec = MODELS[name]
            path = resources.files("fer_sdk_blazeface") / "models" / spec.file
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise ModelLoadError(f"blazeface model file {spec.file} is missing: {exc}") from exc
            check_sha256(spec, content)
            _CONTENT[name] = content
        return _CONTENT[name]


def check_sha256(spec: ModelSpec, content: bytes) -> None:
    """Raise :class:`~fer_sdk.errors.ModelLoadError` unless ``content`` has the SHA-256 that ``spec`` records."""
    digest = hashlib.sha256(content).hexdigest()
    if digest != spec.sha256:
        raise ModelLoadError(
            f"blazeface model file {spec.file} has SHA-256 {digest}, expected {spec.sha256}: "
            "the file is damaged or was replaced; reinstall fer-sdk-blazeface"
        )


AREA_BELOW = 1.0
"""Scales below this are resized by area averaging (no aliasing), others bilinearly. 1.0: every downscale by area
averaging. Bilinear from 0.5 up (as MediaPipe feeds the model) was measured on 2026-12-03 by
``benchmarks/experiments/blazeface_defaults.py --area-below 0.5,1.0``: 0.5 ms a frame faster at the defaults, but
1.2 points fewer faces found on its frames, so area averaging stays."""


def _resized(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` scaled by ``scale``: by area averaging below :data:`AREA_BELOW`, else bilinearly."""
    if scale == 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < AREA_BELOW else cv2.INTER_LINEAR)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _round_up(n: float, step: int) -> int:
    return max(step, math.ceil(n / step) * step)


class BlazeFaceDetector(FaceDetector):
    """MediaPipe's BlazeFace face detector on LiteRT, with scores and six landmarks per face.

    With the default ``short`` model, the whole frame is searched at two or more
    scales: the finest makes a face of ``min_size`` pixels as large as the smallest
    face the model finds well, each coarser one is about 2.5 times smaller
    (``scale_overlap``), until one sees faces as tall as the frame. The model is a
    convolution, so each scale is one run on an input of the scaled frame's size.
    With ``full``, the fixed 192x192 model runs on the whole frame letterboxed and,
    when that cannot see faces of ``min_size``, on overlapping square tiles. The
    faces of all passes are merged by MediaPipe's weighted non-maximum suppression.

    Boxes are in frame pixels, clipped to the frame; ``box.score`` is the model's
    confidence and ``box.landmarks`` holds the points named in :data:`LANDMARKS`,
    in frame pixels, clipped to the frame. The model file is checked against its
    SHA-256 and loaded on the first :meth:`detect` call; each thread gets its own
    interpreters, so one detector can be shared between threads. Needs neither
    MediaPipe nor TensorFlow.

    Args:
        **options: see :class:`BlazeFaceOptions`; invalid options raise
            :class:`fer_sdk.ComponentError` naming the option.

    Examples:
        >>> import cv2
        >>> det = BlazeFaceDetector()
        >>> [box] = det(cv2.imread("examples/images/astronaut.png"))
        >>> box.score > 0.9, sorted(box.landmarks)
        (True, ['left_ear', 'left_eye', 'mouth', 'nose', 'right_ear', 'right_eye'])
    """

    name = "blazeface"

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(BlazeFaceOptions, options, "blazeface detector")
        self.spec = MODELS[self.options.model]
        self._local = threading.local()
        # a raw logit below this cannot reach score_threshold after the sigmoid
        t = self.options.score_threshold
        self._min_logit = math.log(t / (1.0 - t))
        self._min_box = self.options.min_box_ratio * self.options.min_size

    @property
    def threads(self) -> int:
        """Threads each interpreter uses."""
        return self.options.threads or max(1, min(_usable_cores(), MAX_DEFAULT_THREADS))

    def _model(self, size: tuple[int, int]) -> _Model:
        models: dict[tuple[int, int], _Model] | None = getattr(self._local, "models", None)
        if models is None:
            models = self._local.models = {}
        model = models.pop(size, None)
        if model is None:
            model = _Model(self.spec, model_bytes(self.options.model), self.threads, size)
            while len(models) >= MAX_SIZES:
                models.pop(next(iter(models)))  # the least recently used size
        models[size] = model  # (re)inserted last: most recently used
        return model

    def plan(self, width: int, height: int) -> list[Pass]:
        """The passes that search a ``width x height`` frame, finest first.

        Examples:
            >>> [(p.scale, p.size) for p in BlazeFaceDetector(min_size=48).plan(640, 480)]
            [(0.6875, (448, 336)), (0.2701, (176, 144)), (0.1061, (80, 64))]
            >>> len(BlazeFaceDetector(model="full", min_size=24).plan(640, 480))
            7
        """
        spec, min_size = self.spec, self.options.min_size
        longest = max(width, height)
        coarsest = spec.side / longest  # the whole frame in the model's own input side
        if not spec.resizable:
            whole = Pass((0, 0, width, height), round(coarsest, 4), (spec.side, spec.side))
            seen = spec.min_face / coarsest  # the smallest face, in frame pixels, the whole-frame pass sees
            if min_size >= seen:
                return [whole]
            side = max(1, math.floor(min_size * spec.side / spec.min_face))
            regions = tiles(width, height, side, overlap=math.ceil(seen))
            return [whole] + [Pass(r, round(spec.side / max(r[2], r[3]), 4), (spec.side, spec.side)) for r in regions]
        step = spec.max_face / spec.min_face * (1.0 - self.options.scale_overlap)  # ratio of consecutive scales
        # the finest scale: a face of min_size becomes min_face pixels; but never a frame smaller than the model's
        # own input (a tracked face's window, say), and never enlarged more than MAX_SCALE
        scales = [max(min(MAX_SCALE, spec.min_face / min_size), min(MAX_SCALE, coarsest))]
        # coarser scales until one pass sees faces as large as the frame's shorter side
        while spec.max_face / scales[-1] < min(width, height):
            scales.append(scales[-1] / step)
        passes = []
        stride = max(spec.strides)
        for s in scales:
            w, h = max(1, round(width * s)), max(1, round(height * s))
            passes.append(Pass((0, 0, width, height), round(s, 4), (_round_up(w, stride), _round_up(h, stride))))
        return passes

    def detect(self, frame: Frame) -> Sequence[Box]:
        """Detect faces; returns boxes in frame pixels with ``score`` and ``landmarks``, best score first."""
        rows, scores = [], []
        source, source_scale = frame.bgr, 1.0  # each whole-frame pass resizes the finer pass's copy, not the frame
        for p in self.plan(frame.width, frame.height):
            if p.region == (0, 0, frame.width, frame.height):
                image = _resized(source, p.scale / source_scale)
                source, source_scale = image, p.scale
            else:  # a tile
                x, y, w, h = p.region
                image = _resized(frame.bgr[y : y + h, x : x + w], p.scale)
            r, s = self._search(image, p)
            rows.append(r)
            scores.append(s)
        all_rows, all_scores = np.concatenate(rows), np.concatenate(scores)
        if len(all_rows) == 0:
            return []
        kept, kept_scores = weighted_nms(all_rows, all_scores, self.options.nms_threshold)
        large = np.maximum(kept[:, 2] - kept[:, 0], kept[:, 3] - kept[:, 1]) >= self._min_box
        kept, kept_scores = kept[large], kept_scores[large]
        return self._boxes(kept, kept_scores, frame.width, frame.height)

    def _search(self, image: np.ndarray, p: Pass) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``(x1, y1, x2, y2, 6 points)`` in frame pixels and scores of the faces that pass ``p`` finds.

        ``image`` is the pass's region already scaled by ``p.scale`` (BGR uint8).
        """
        x, y = p.region[:2]
        width, height = p.size
        model = self._model(p.size)
        raw, logits = model(model.fill(image[:height, :width]))
        keep = np.flatnonzero(logits >= self._min_logit)
        if len(keep) == 0:
            return np.zeros((0, 16), np.float32), np.zeros(0, np.float32)
        raw, logits = raw[keep], np.clip(logits[keep], -80.0, 80.0)
        centres = model.anchors[keep]
        pts = raw.reshape(-1, 8, 2)  # (cx, cy), (w, h), then the six points; offsets from the anchor, input pixels
        cx, cy = pts[:, 0, 0] + centres[:, 0], pts[:, 0, 1] + centres[:, 1]
        half_w, half_h = pts[:, 1, 0] / 2.0, pts[:, 1, 1] / 2.0
        marks = pts[:, 2:, :] + centres[:, None, :]
        out = np.concatenate(
            [np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1), marks.reshape(-1, 12)], axis=1
        )
        out /= p.scale  # input pixels -> region pixels
        out[:, 0::2] += x
        out[:, 1::2] += y
        valid = (half_w > 0) & (half_h > 0)
        return out[valid].astype(np.float32), (1.0 / (1.0 + np.exp(-logits[valid]))).astype(np.float32)

    @staticmethod
    def _boxes(rows: np.ndarray, scores: np.ndarray, width: int, height: int) -> list[Box]:
        boxes = []
        for row, score in zip(rows, scores, strict=True):
            if not np.all(np.isfinite(row)):
                continue
            x1, y1 = min(width - 1, max(0, round(row[0]))), min(height - 1, max(0, round(row[1])))
            x2, y2 = min(width, round(row[2])), min(height, round(row[3]))
            if x2 <= x1 or y2 <= y1:
                continue
            landmarks = {
                name: (float(min(width - 1, max(0.0, px))), float(min(height - 1, max(0.0, py))))
                for name, (px, py) in zip(LANDMARKS, row[4:16].reshape(6, 2), strict=True)
            }
            boxes.append(Box(x=x1, y=y1, w=x2 - x1, h=y2 - y1, score=float(score), landmarks=landmarks))
        return boxes

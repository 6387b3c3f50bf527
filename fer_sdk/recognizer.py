"""The :class:`EmotionRecognizer` facade."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.decision import DECISION_HELP, DecisionRule
from fer_sdk.errors import ComponentError, ConfigError, FerSdkError, InvalidBoxError, InvalidImageError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import EmotionClassifier, FaceDetector, Preprocessor, parse_options
from fer_sdk.plugins import Registry, get_registry
from fer_sdk.results import Box, EmotionPrediction, FaceEmotion, clip_box, largest_first
from fer_sdk.runtime import AUTO, resolve_classifier
from fer_sdk.video import FrameResult, StreamProcessor

__all__ = ["EmotionRecognizer", "RecognizerOptions"]

DEFAULT_DETECTOR = "haar"
DEFAULT_CLASSIFIER = AUTO  # resolved by fer_sdk.runtime.choose_classifier: litert on CPUs, keras on GPUs


class RecognizerOptions(BaseModel):
    """Keyword options of :class:`EmotionRecognizer` (unknown keys are errors: :class:`~fer_sdk.ConfigError`).

    Examples:
        >>> from fer_sdk import EmotionRecognizer
        >>> rec = EmotionRecognizer(detector_options={"min_neighbors": 4}, max_faces=3)
        >>> rec.options.max_faces
        3
    """

    model_config = ConfigDict(extra="forbid")

    detector_options: dict[str, Any] = Field(default_factory=dict, description="passed to the detector")
    preprocessor_options: dict[str, Any] = Field(
        default_factory=dict, description="passed to the preprocessor, over the classifier's declared settings"
    )
    classifier_options: dict[str, Any] = Field(default_factory=dict, description="passed to the classifier")
    max_faces: int | None = Field(None, ge=1, description="keep at most this many faces (the largest)")
    decision: DecisionRule | None = Field(
        None, description="the classifier's decision rule (fer_sdk.decision): " + DECISION_HELP
    )


class EmotionRecognizer:
    """Detect faces in a frame and recognise the emotion of each.

    Each slot takes a registered name (see :func:`fer_sdk.available_components`)
    or an object implementing the interface. ``classifier`` also takes a model
    folder or ``.keras`` file written by :mod:`fer_sdk.train`. With
    ``preprocessor=None`` the preprocessing the classifier declares
    (:attr:`fer_sdk.EmotionClassifier.preprocessing`,
    for a model from its metadata) is used. Construction is cheap: the weights
    (and TensorFlow, for the Keras classifier) load on first use (or call
    :meth:`warmup`).

    Args:
        detector: detector name or :class:`~fer_sdk.FaceDetector` (default ``"haar"``).
        preprocessor: preprocessor name, :class:`~fer_sdk.Preprocessor` or ``None``
            (the one the classifier declares, with its input size, scaling and
            margin; a named preprocessor gets those settings too when it is the
            declared one or :attr:`~fer_sdk.Preprocessor.reproduces`
            it, as the ``aligned`` plugin does ``standard``).
        classifier: classifier name, model path or :class:`~fer_sdk.EmotionClassifier`
            (default ``"auto"``: the bundled FER2013 CNN on LiteRT on a machine
            without a GPU, on Keras/TensorFlow with one or when asked for a
            Keras-only option; :mod:`fer_sdk.runtime` has the rules, ``repr(rec)``
            says which and why; name ``"litert"`` or ``"keras"`` to choose).
        **options: see :class:`RecognizerOptions`.

    Raises:
        ConfigError: an unknown or invalid keyword option (the message names it).

    Examples:
        >>> import cv2
        >>> from fer_sdk import EmotionRecognizer
        >>> rec = EmotionRecognizer()
        >>> faces = rec.predict(cv2.imread("examples/images/astronaut.png"))
        >>> len(faces), faces[0].emotion
        (1, 'happy')
    """

    def __init__(
        self,
        detector: str | FaceDetector = DEFAULT_DETECTOR,
        preprocessor: str | Preprocessor | None = None,
        classifier: str | Path | EmotionClassifier = DEFAULT_CLASSIFIER,
        *,
        registry: Registry | None = None,
        **options: Any,
    ) -> None:
        self.options = parse_options(RecognizerOptions, options, "EmotionRecognizer", ConfigError)
        self._registry = registry or get_registry()
        self._names: dict[str, str] = {}
        self.classifier: EmotionClassifier = self._resolve_classifier(classifier)
        self.detector: FaceDetector = self._resolve("detectors", detector, FaceDetector, self.options.detector_options)
        pre_options = dict(self.options.preprocessor_options)
        if preprocessor is None or isinstance(preprocessor, str):
            declared = dict(getattr(self.classifier, "preprocessing", None) or {"name": "standard"})
            name = str(declared.pop("name", "standard"))
            if preprocessor is None:
                preprocessor = name
                pre_options = {**declared, **pre_options}
            elif self._reproduces(preprocessor, name):
                # e.g. the aligned plugin's variant of the standard crop: it gets the input the model declares too
                pre_options = {**declared, **pre_options}
        self.preprocessor: Preprocessor = self._resolve("preprocessors", preprocessor, Preprocessor, pre_options)

    # construction ------------------------------------------------------------
    def _reproduces(self, name: str, declared: str) -> bool:
        """Whether the preprocessor registered as ``name`` takes the options of the ``declared`` preprocessing."""
        try:
            info = self._registry.get("preprocessors", name)
        except FerSdkError:
            return False  # _resolve reports the unknown name
        return declared == info.name or declared in getattr(info.factory, "reproduces", ())

    def _resolve(self, kind: str, spec: Any, interface: type, options: dict[str, Any]) -> Any:
        if isinstance(spec, str):
            component = self._registry.create(kind, spec, options)
            info = self._registry.get(kind, spec)
            self._names[kind] = f"{kind[:-1]} {info.name!r} (plugin {info.plugin!r}, {info.distribution})"
        else:
            component = spec
            self._names[kind] = f"{kind[:-1]} {type(spec).__name__}"
            if options:
                raise ComponentError(f"{kind[:-1]} options {options} given with a ready-made {type(spec).__name__}")
        required = {"detectors": "detect", "preprocessors": "prepare", "classifiers": "predict_proba"}[kind]
        if not isinstance(component, interface) and not callable(getattr(component, required, None)):
            raise ComponentError(
                f"{self._names[kind]} is a {type(component).__name__}, which neither subclasses "
                f"fer_sdk.{interface.__name__} nor has a {required}() method"
            )
        return component

    def _resolve_classifier(self, spec: str | Path | EmotionClassifier) -> EmotionClassifier:
        """An instance, or what :func:`fer_sdk.runtime.resolve_classifier` makes of a name or model path."""
        options = dict(self.options.classifier_options)
        if self.options.decision is not None:
            if isinstance(spec, EmotionClassifier) or (not isinstance(spec, str | Path)):
                raise ComponentError("decision= is an option of a named classifier; set it on your classifier object")
            options["decision"] = self.options.decision
        if not isinstance(spec, str | Path):
            classifier: EmotionClassifier = self._resolve("classifiers", spec, EmotionClassifier, options)
            return classifier
        infos = self._registry.infos("classifiers")
        known = {info.name for info in infos} | {alias for info in infos for alias in info.aliases}
        choice = resolve_classifier(spec, options, known)
        classifier = self._resolve("classifiers", choice.name, EmotionClassifier, choice.options)
        if choice.reason is not None:
            self._names["classifiers"] += f" [auto: {choice.reason}]"
        return classifier

    # public API --------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """The classifier's labels in order (default model: the seven FER2013 emotions)."""
        return tuple(self.classifier.labels)

    def warmup(self) -> EmotionRecognizer:
        """Load every stage and run it once now, so the first real call is fast.

        The detector runs on a blank frame; the classifier warms itself up
        (:meth:`fer_sdk.EmotionClassifier.warmup`)
        on a blank face prepared by the preprocessor. Returns the recognizer itself.
        """
        self.predict(np.zeros((64, 64), np.uint8))
        sample = self._call("preprocessors", self.preprocessor.prepare_crops, [Frame(np.zeros((48, 48), np.uint8))])
        warmup = getattr(self.classifier, "warmup", None)
        if callable(warmup):
            self._call("classifiers", warmup, sample)
        else:  # an object with only predict_proba(): one call
            self._probabilities(sample, 1)
        return self

    def stream(self, source: Any, **options: Any) -> Iterator[FrameResult]:
        """Recognise emotions frame by frame in a video file, a camera or any iterable of frames.

        Args:
            source: a video file path, a camera index (``0`` is the default
                camera) or an iterable of numpy frames.
            **options: see :class:`~fer_sdk.video.StreamOptions`: ``every``
                (process every N-th frame), ``detect_every`` (search the whole
                frame every N-th processed frame, in between only around the
                tracked faces: several times faster), ``track`` (stable
                ``track_id`` per face, on by default), ``smoothing``
                (``"none"``, ``"ema"`` or ``"window"``, per track), ``alpha``,
                ``window``, ``fps``.

        Yields:
            One :class:`~fer_sdk.video.FrameResult` per processed frame: frame
            index, timestamp in seconds and the faces with their ``track_id``.

        Examples:
            >>> import numpy as np
            >>> frames = [np.zeros((120, 160, 3), np.uint8)] * 3
            >>> [r.index for r in EmotionRecognizer().stream(frames, every=2)]
            [0, 2]
        """
        for _, result in StreamProcessor(self, **options).frames(source):
            yield result

    def detect(self, frame: Any) -> list[Box]:
        """Only the detection stage: the face boxes of ``frame``, in result order."""
        return self._detect(frame if isinstance(frame, Frame) else Frame(frame))

    def predict(self, frame: Any, boxes: Sequence[Box | Sequence[float]] | None = None) -> list[FaceEmotion]:
        """Detect every face in ``frame`` and recognise its emotion.

        Args:
            frame: a numpy uint8 image: BGR ``HxWx3`` (as ``cv2.imread`` and
                ``cv2.VideoCapture`` give), grayscale ``HxW`` or BGRA ``HxWx4``.
            boxes: skip detection and recognise the faces in these boxes
                (:class:`~fer_sdk.Box` objects or ``(x, y, w, h)`` in frame
                pixels, clipped to the frame), e.g. from your own detector.

        Returns:
            One :class:`~fer_sdk.FaceEmotion` per face, largest face first (ties:
            top to bottom, then left to right), or in the order of ``boxes``;
            ``[]`` when there is no face.

        Raises:
            InvalidImageError: ``frame`` is not an accepted image.
            InvalidBoxError: a box in ``boxes`` is malformed or outside the frame.
            ComponentError: a component failed or returned something invalid.

        Examples:
            >>> import numpy as np
            >>> rec = EmotionRecognizer()
            >>> rec.predict(np.zeros((240, 320, 3), np.uint8))
            []
            >>> [f.box.xyxy for f in rec.predict(np.zeros((240, 320), np.uint8), boxes=[(10, 10, 60, 60)])]
            [(10, 10, 70, 70)]
        """
        f = frame if isinstance(frame, Frame) else Frame(frame)
        if boxes is None:
            boxes = self._detect(f)
        else:
            if isinstance(boxes, np.ndarray | Box) or not isinstance(boxes, Sequence):
                raise InvalidBoxError(f"boxes: got {type(boxes).__name__}; expected a list of Box or (x, y, w, h)")
            boxes = [self._check_box(b, f, "boxes", InvalidBoxError) for b in boxes]
        if not boxes:
            return []
        batch = self._call("preprocessors", self.preprocessor.prepare, f, boxes)
        probs = self._probabilities(batch, len(boxes))
        labels = self.labels
        return [
            FaceEmotion(box=box, **EmotionPrediction.from_scores(labels, row).model_dump())
            for box, row in zip(boxes, probs, strict=True)
        ]

    def classify(self, faces: Sequence[Any] | np.ndarray) -> list[EmotionPrediction]:
        """Recognise the emotion of face images that are already cut out (no detection).

        Args:
            faces: a list of images (grayscale or BGR uint8, any size), or a
                uint8 array holding a batch: ``(n, h, w)`` grayscale or
                ``(n, h, w, c)``. Wrap a single image in a list.

        Returns:
            One :class:`~fer_sdk.EmotionPrediction` per face, in input order.

        Examples:
            >>> import numpy as np
            >>> preds = EmotionRecognizer().classify(np.zeros((2, 48, 48), np.uint8))
            >>> len(preds), round(sum(preds[0].scores.values()), 6)
            (2, 1.0)
        """
        if isinstance(faces, np.ndarray):
            if faces.ndim not in (3, 4):
                raise InvalidImageError(
                    f"faces: got an array of shape {faces.shape}; a batch must be (n, h, w) or (n, h, w, c) "
                    "uint8 (wrap a single image in a list)"
                )
            items: Sequence[Any] = list(faces)
        elif isinstance(faces, list | tuple):
            items = faces
        else:
            raise InvalidImageError(
                f"faces: got {type(faces).__name__}; expected a list of uint8 images or a uint8 batch array"
            )
        if not items:
            return []
        frames = [Frame(img, what=f"face {i}") for i, img in enumerate(items)]
        batch = self._call("preprocessors", self.preprocessor.prepare_crops, frames)
        probs = self._probabilities(batch, len(frames))
        labels = self.labels
        return [EmotionPrediction.from_scores(labels, row) for row in probs]

    # stages ------------------------------------------------------------------
    def _call(self, kind: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except FerSdkError:
            raise
        except Exception as exc:
            raise ComponentError(f"{self._names[kind]} failed: {type(exc).__name__}: {exc}") from exc

    def _detect(self, frame: Frame) -> list[Box]:
        raw = self._call("detectors", self.detector.detect, frame)
        name = self._names["detectors"]
        kept = largest_first(self._check_box(b, frame, name, ComponentError) for b in (raw if raw is not None else []))
        if self.options.max_faces is not None:
            kept = kept[: self.options.max_faces]
        return kept

    def _check_box(self, raw: Any, frame: Frame, name: str, error: type[FerSdkError]) -> Box:
        """Validate one box: clip it to the frame; a malformed one raises ``error`` naming its source."""
        values: tuple[float, ...]
        if isinstance(raw, Box):
            values = (raw.x, raw.y, raw.w, raw.h)
        else:
            try:
                values = tuple(float(v) for v in raw)[:4]
                if len(values) != 4:
                    raise ValueError
            except (TypeError, ValueError):
                raise error(f"{name}: got {raw!r}; expected fer_sdk.Box objects or (x, y, w, h)") from None
        if not all(math.isfinite(float(v)) for v in values):
            raise error(f"{name}: a box with non-finite values: {raw!r}")
        x, y, w, h = (float(v) for v in values)
        if w <= 0 or h <= 0:
            raise error(f"{name}: a box with non-positive size: {raw!r}")
        clipped = clip_box(x, y, x + w, y + h, frame.width, frame.height)
        if clipped is None:
            raise error(f"{name}: a box entirely outside the {frame.width}x{frame.height} frame: {raw!r}")
        if not isinstance(raw, Box):
            return clipped
        if clipped.xyxy == raw.xyxy:
            return raw
        return clipped.model_copy(update={"score": raw.score, "landmarks": raw.landmarks})

    def _probabilities(self, batch: Any, n: int) -> np.ndarray:
        name = self._names["classifiers"]
        probs = np.asarray(self._call("classifiers", self.classifier.predict_proba, batch), dtype=np.float64)
        k = len(self.labels)
        if probs.shape != (n, k):
            raise ComponentError(f"{name} returned probabilities of shape {probs.shape}; expected ({n}, {k})")
        if not np.isfinite(probs).all() or (probs < 0).any() or (probs.sum(axis=1) <= 0).any():
            raise ComponentError(f"{name} returned non-finite, negative or all-zero probabilities")
        return probs / probs.sum(axis=1, keepdims=True)

    def __repr__(self) -> str:
        parts = ", ".join(self._names[k] for k in ("detectors", "preprocessors", "classifiers"))
        return f"EmotionRecognizer({parts})"

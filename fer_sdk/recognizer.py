"""The :class:`EmotionRecognizer` facade."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.decision import DECISION_HELP, DecisionRule
from fer_sdk.errors import ComponentError, FerSdkError, InvalidBoxError, InvalidImageError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import EmotionClassifier, FaceDetector, Preprocessor
from fer_sdk.plugins import Registry, get_registry
from fer_sdk.results import Box, EmotionPrediction, FaceEmotion
from fer_sdk.video import FrameResult, StreamProcessor

__all__ = ["EmotionRecognizer", "RecognizerOptions"]

DEFAULT_DETECTOR = "haar"
DEFAULT_CLASSIFIER = "auto"  # resolved by fer_sdk.runtime.choose_classifier: litert on CPUs, keras on GPUs


class RecognizerOptions(BaseModel):
    """Keyword options of :class:`EmotionRecognizer` (unknown keys are errors).

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


def _looks_like_path(spec: str) -> bool:
    return spec.endswith((".keras", ".tflite")) or "/" in spec or "\\" in spec or Path(spec).is_dir()


class EmotionRecognizer:
    """Detect faces in a frame and recognise the emotion of each.

    Each slot takes a registered name (see :func:`fer_sdk.available_components`)
    or an object implementing the interface. ``classifier`` also takes a model
    folder or ``.keras`` file written by :mod:`fer_sdk.train`. With
    ``preprocessor=None`` the preprocessing the classifier declares (in its
    metadata) is used. Construction is cheap: the weights (and TensorFlow, for
    the Keras classifier) load on first use (or call :meth:`warmup`).

    Args:
        detector: detector name or :class:`~fer_sdk.FaceDetector` (default ``"haar"``).
        preprocessor: preprocessor name, :class:`~fer_sdk.Preprocessor` or ``None``
            (the one the classifier's metadata declares, with its input size,
            scaling and margin; a named preprocessor that extends the standard
            one gets those settings too).
        classifier: classifier name, model path or :class:`~fer_sdk.EmotionClassifier`
            (default ``"auto"``: the bundled FER2013 CNN on LiteRT on a machine
            without a GPU, on Keras/TensorFlow with one or when asked for a
            Keras-only option; :mod:`fer_sdk.runtime` has the rules, ``repr(rec)``
            says which and why; name ``"litert"`` or ``"keras"`` to choose).
        **options: see :class:`RecognizerOptions`.

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
        self.options = RecognizerOptions.model_validate(options)
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
            elif name == "standard" and self._extends_standard(preprocessor):
                # e.g. a plugin's variant of the standard crop: it gets the input the model declares too
                pre_options = {**declared, **pre_options}
        self.preprocessor: Preprocessor = self._resolve("preprocessors", preprocessor, Preprocessor, pre_options)

    # construction ------------------------------------------------------------
    def _extends_standard(self, name: str) -> bool:
        from fer_sdk.builtin.preprocess import StandardPreprocessor

        try:
            factory = self._registry.get("preprocessors", name).factory
        except FerSdkError:
            return False  # _resolve reports the unknown name
        return isinstance(factory, type) and issubclass(factory, StandardPreprocessor)

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
        """A registered name wins; then a model path; then a bundled preset name."""
        options = dict(self.options.classifier_options)
        if self.options.decision is not None:
            if isinstance(spec, EmotionClassifier) or (not isinstance(spec, str | Path)):
                raise ComponentError("decision= is an option of a named classifier; set it on your classifier object")
            options["decision"] = self.options.decision
        if isinstance(spec, Path):
            options["model"] = str(spec)
            spec = DEFAULT_CLASSIFIER
        elif isinstance(spec, str) and spec != DEFAULT_CLASSIFIER:
            from fer_sdk.builtin.keras_cnn import bundled_presets

            infos = self._registry.infos("classifiers")
            known = {info.name for info in infos} | {alias for info in infos for alias in info.aliases}
            if spec not in known and (_looks_like_path(spec) or spec in bundled_presets()):
                options["model"] = spec
                spec = DEFAULT_CLASSIFIER
        reason = None
        if spec == DEFAULT_CLASSIFIER:
            from fer_sdk.runtime import choose_classifier

            choice = choose_classifier(options)
            spec, reason = choice.name, choice.reason
        classifier: EmotionClassifier = self._resolve("classifiers", spec, EmotionClassifier, options)
        if reason is not None:
            self._names["classifiers"] += f" [auto: {reason}]"
        return classifier

    # public API --------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """The classifier's labels in order (default model: the seven FER2013 emotions)."""
        return tuple(self.classifier.labels)

    def warmup(self) -> EmotionRecognizer:
        """Load the model and run one forward pass now, so the first real call is fast.

        Returns the recognizer itself.
        """
        load = getattr(self.classifier, "load", None)
        if callable(load):
            load()
        self.predict(np.zeros((64, 64), np.uint8))
        for n in (1, 2):  # one face and several take different paths in the keras classifier
            self.classify(np.zeros((n, 48, 48), np.uint8))
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
        kept = [self._check_box(b, frame, name, ComponentError) for b in (raw if raw is not None else [])]
        kept.sort(key=lambda b: (-b.area, b.y, b.x))
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
        x1, y1 = max(0, round(x)), max(0, round(y))
        x2, y2 = min(frame.width, round(x + w)), min(frame.height, round(y + h))
        if x2 <= x1 or y2 <= y1:
            raise error(f"{name}: a box entirely outside the {frame.width}x{frame.height} frame: {raw!r}")
        if isinstance(raw, Box) and (x1, y1, x2 - x1, y2 - y1) == (raw.x, raw.y, raw.w, raw.h):
            return raw
        score = raw.score if isinstance(raw, Box) else None
        landmarks = raw.landmarks if isinstance(raw, Box) else None
        return Box(x=x1, y=y1, w=x2 - x1, h=y2 - y1, score=score, landmarks=landmarks)

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

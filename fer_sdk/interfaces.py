"""The three replaceable parts of the pipeline.

Each interface has one required method; the rest are conveniences built on it.
Implement one, register it through a hook (see :mod:`fer_sdk.hookspecs`) and
use it by name, or pass an instance straight to
:class:`~fer_sdk.EmotionRecognizer`.

Data flows one way::

    frame -> FaceDetector.detect -> boxes -> Preprocessor.prepare -> batch
          -> EmotionClassifier.predict_proba -> probabilities -> results
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from fer_sdk.errors import ComponentError, FerSdkError
from fer_sdk.frame import Frame
from fer_sdk.results import Box, EmotionPrediction

__all__ = ["EmotionClassifier", "FaceDetector", "Preprocessor", "parse_options"]

OptionsT = TypeVar("OptionsT", bound=BaseModel)


def parse_options(
    model: type[OptionsT], options: Mapping[str, Any], what: str, error: type[FerSdkError] = ComponentError
) -> OptionsT:
    """Validate a component's keyword ``options`` with its pydantic ``model``.

    Raises ``error`` (:class:`~fer_sdk.ComponentError` by default) naming
    ``what`` and each offending option, for components that may be built
    directly as well as by name (:class:`~fer_sdk.EmotionRecognizer` checks its
    own options this way, raising :class:`~fer_sdk.ConfigError`).

    Examples:
        >>> from pydantic import BaseModel, ConfigDict
        >>> class Opts(BaseModel):
        ...     model_config = ConfigDict(extra="forbid")
        ...     size: int = 1
        >>> parse_options(Opts, {"size": 3}, "my detector").size
        3
        >>> parse_options(Opts, {"sise": 3}, "my detector")
        Traceback (most recent call last):
        ...
        fer_sdk.errors.ComponentError: invalid my detector options {'sise': 3}: sise: Extra inputs are not permitted
    """
    try:
        return model.model_validate(dict(options))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors())
        raise error(f"invalid {what} options {dict(options)}: {problems}") from exc


class FaceDetector(ABC):
    """Finds faces in a frame.

    Subclasses implement :meth:`detect`. Keep construction cheap and load
    heavy models lazily on the first call.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import Box, FaceDetector, Frame
        >>> class Centre(FaceDetector):
        ...     def detect(self, frame):
        ...         return [Box(x=frame.width // 4, y=frame.height // 4, w=frame.width // 2, h=frame.height // 2)]
        >>> Centre().detect(Frame(np.zeros((100, 100), np.uint8)))[0].w
        50
    """

    name: ClassVar[str] = ""

    @abstractmethod
    def detect(self, frame: Frame) -> Sequence[Box]:
        """Return the boxes of the faces in ``frame`` (in frame pixels, any order).

        The recognizer checks what comes back: boxes partly outside the frame are
        clipped to it; a box with NaN or infinite values, a non-positive size, or
        lying entirely outside the frame raises :class:`~fer_sdk.ComponentError`
        naming the detector and its plugin.
        """

    def __call__(self, image: Any) -> list[Box]:
        """Detect on a raw numpy image (validated first)."""
        return list(self.detect(image if isinstance(image, Frame) else Frame(image)))


class Preprocessor(ABC):
    """Turns face boxes of a frame into the batch a classifier takes.

    A classifier declares the preprocessing it was trained with
    (:attr:`EmotionClassifier.preprocessing`: a registered name and options).
    :class:`~fer_sdk.EmotionRecognizer` passes those options to a preprocessor
    chosen by name when the declared name is the preprocessor's registered
    name or one of its :attr:`reproduces` (e.g. the ``aligned`` plugin reproduces
    ``standard``); ``preprocessor_options`` override them.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import Box, Frame
        >>> from fer_sdk.builtin.preprocess import StandardPreprocessor
        >>> batch = StandardPreprocessor().prepare(Frame(np.zeros((100, 100), np.uint8)), [Box(x=10, y=10, w=50, h=50)])
        >>> batch.shape, batch.dtype
        ((1, 48, 48, 1), dtype('float32'))
    """

    name: ClassVar[str] = ""
    reproduces: ClassVar[tuple[str, ...]] = ()
    """Other preprocessings (registered names) whose declared options this one takes and reproduces."""

    @abstractmethod
    def prepare(self, frame: Frame, boxes: Sequence[Box]) -> np.ndarray:
        """Return one model input per box, stacked: ``(len(boxes), ...)``."""

    def prepare_crops(self, crops: Sequence[Any]) -> np.ndarray:
        """Prepare face images that are already cut out (each is used whole)."""
        frames = [c if isinstance(c, Frame) else Frame(c, what=f"face {i}") for i, c in enumerate(crops)]
        parts = [self.prepare(f, [Box(x=0, y=0, w=f.width, h=f.height)]) for f in frames]
        return np.concatenate(parts) if parts else np.zeros((0,), np.float32)


class EmotionClassifier(ABC):
    """Maps a batch of prepared faces to emotion probabilities.

    Subclasses implement :meth:`predict_proba` and set :attr:`labels`; they may
    declare the preprocessing they were trained with in :attr:`preprocessing`
    (``{"name": <registered preprocessor>, **options}``), which
    :class:`~fer_sdk.EmotionRecognizer` then uses unless told otherwise, and
    load their weights ahead of the first call in :meth:`warmup`.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import EmotionClassifier, EmotionRecognizer
        >>> class AlwaysHappy(EmotionClassifier):
        ...     labels = ("happy", "sad")
        ...     preprocessing = {"name": "standard", "size": 32}
        ...     def predict_proba(self, batch):
        ...         return np.tile([0.9, 0.1], (len(batch), 1))
        >>> rec = EmotionRecognizer(classifier=AlwaysHappy()).warmup()
        >>> rec.preprocessor.options.size, rec.classify([np.zeros((40, 40), np.uint8)])[0].emotion
        (32, 'happy')
    """

    name: ClassVar[str] = ""

    @property
    @abstractmethod
    def labels(self) -> tuple[str, ...]:
        """The labels, in the order of :meth:`predict_proba`'s columns."""

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The preprocessor (registered name and options) this classifier expects: ``{"name": ..., **options}``."""
        return {"name": "standard"}

    def warmup(self, sample: np.ndarray) -> None:
        """Load the weights and run the first forward passes now, so that the first real call is fast.

        ``sample`` is one prepared face, ``(1, ...)``, from the pipeline's
        preprocessor (:meth:`fer_sdk.EmotionRecognizer.warmup` calls this).
        The default classifies it once; override to load lazily built state
        (compiled passes, other batch sizes) as well.
        """
        self.predict_proba(sample)

    @abstractmethod
    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Return ``(n, len(labels))`` probabilities for a prepared batch of ``n`` faces."""

    def predict(self, batch: np.ndarray) -> list[EmotionPrediction]:
        """Predictions with labels for a prepared batch."""
        labels = self.labels
        return [EmotionPrediction.from_scores(labels, row) for row in self.predict_proba(batch)]

"""The standard preprocessor: crop with a margin, grayscale, resize, scale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.frame import Frame
from fer_sdk.interfaces import Preprocessor
from fer_sdk.results import Box


class StandardOptions(BaseModel):
    """Options of :class:`StandardPreprocessor` (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(48, ge=8, le=512, description="side of the square model input")
    scale: Literal["unit", "none", "standardize"] = Field(
        "unit", description="unit: x/255; none: raw 0..255; standardize: zero mean, unit variance per face"
    )
    margin: float = Field(
        0.0, ge=-0.4, le=1.0, description="grow (or, negative, shrink) the box by this fraction of its side, each side"
    )


class StandardPreprocessor(Preprocessor):
    """Crop each box (grown by ``margin``), convert to grayscale, resize to ``size``, scale.

    The crop is square, centred on the box, with side ``max(w, h) * (1 + 2 * margin)``;
    parts outside the frame are filled by replicating the border. The output is
    ``(n, size, size, 1)`` float32.

    Examples:
        >>> import numpy as np
        >>> from fer_sdk import Box, Frame
        >>> pre = StandardPreprocessor(margin=0.1)
        >>> batch = pre.prepare(Frame(np.full((64, 64), 255, np.uint8)), [Box(x=0, y=0, w=64, h=64)])
        >>> batch.shape, batch.dtype, float(batch.max())
        ((1, 48, 48, 1), dtype('float32'), 1.0)
    """

    name = "standard"
    # a subclass registered under another name (e.g. the aligned plugin's) takes a model's declared standard settings
    reproduces: ClassVar[tuple[str, ...]] = ("standard",)

    def __init__(self, **options: object) -> None:
        self.options = StandardOptions.model_validate(options)
        # face crops are used whole: with a margin, crops go through a margin-free twin
        self._whole = self if self.options.margin == 0.0 else StandardPreprocessor(**{**options, "margin": 0.0})

    def crop(self, gray: np.ndarray, box: Box) -> np.ndarray:
        """The square, margin-grown crop of ``box`` from a grayscale image, resized to ``size``."""
        size = self.options.size
        side = max(1, round(max(box.w, box.h) * (1.0 + 2.0 * self.options.margin)))
        cx, cy = box.x + box.w / 2.0, box.y + box.h / 2.0
        x1, y1 = round(cx - side / 2.0), round(cy - side / 2.0)
        x2, y2 = x1 + side, y1 + side
        h, w = gray.shape
        patch = gray[max(0, y1) : min(h, y2), max(0, x1) : min(w, x2)]
        if patch.size == 0:
            patch = np.zeros((1, 1), np.uint8)
        pad = (max(0, -y1), max(0, y2 - h), max(0, -x1), max(0, x2 - w))
        if any(pad) and patch.size > 1:
            patch = cv2.copyMakeBorder(patch, *pad, borderType=cv2.BORDER_REPLICATE)
        interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
        return cv2.resize(patch, (size, size), interpolation=interp)

    def prepare_crops(self, crops: Sequence[Any]) -> np.ndarray:
        """Prepare faces that are already cut out: each is used whole, without a margin."""
        if self._whole is self:
            return super().prepare_crops(crops)
        return self._whole.prepare_crops(crops)

    def prepare(self, frame: Frame, boxes: Sequence[Box]) -> np.ndarray:
        """Stack the prepared crops of ``boxes``: ``(len(boxes), size, size, 1)`` float32."""
        size = self.options.size
        out = np.empty((len(boxes), size, size, 1), np.float32)
        gray = frame.gray
        for i, box in enumerate(boxes):
            out[i, :, :, 0] = self.crop(gray, box)
        if self.options.scale == "unit":
            out *= 1.0 / 255.0
        elif self.options.scale == "standardize" and len(boxes):
            mean = out.mean(axis=(1, 2, 3), keepdims=True)
            std = out.std(axis=(1, 2, 3), keepdims=True)
            out = (out - mean) / np.maximum(std, 1e-3)
        return out

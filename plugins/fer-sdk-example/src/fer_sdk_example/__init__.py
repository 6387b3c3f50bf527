"""fer-sdk-example: a detector that reports the whole image as one face.

Examples:
    >>> import numpy as np
    >>> from fer_sdk_example import WholeFrameDetector
    >>> WholeFrameDetector(inset=0.1)(np.zeros((100, 200), np.uint8))[0].model_dump(include={"x", "y", "w", "h"})
    {'x': 20, 'y': 10, 'w': 160, 'h': 80}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

import fer_sdk
from fer_sdk.interfaces import parse_options

__all__ = ["WholeFrameDetector", "WholeFrameOptions", "register_detectors"]


class WholeFrameOptions(BaseModel):
    """Options of :class:`WholeFrameDetector` (unknown keys are errors).

    Examples:
        >>> WholeFrameOptions(inset=0.05).inset
        0.05
    """

    model_config = ConfigDict(extra="forbid")

    inset: float = Field(0.0, ge=0.0, le=0.4, description="fraction of the width and height left out on each side")


class WholeFrameDetector(fer_sdk.FaceDetector):
    """Reports the whole image, minus an ``inset`` fraction on each side, as one face.

    Args:
        options: :class:`WholeFrameOptions`: ``inset``, the fraction of the
            width and height left out on each side (0 to 0.4).

    Raises:
        fer_sdk.ComponentError: an unknown option or a value out of range.
    """

    name = "whole-frame"

    def __init__(self, **options: Any) -> None:
        self.inset = parse_options(WholeFrameOptions, options, "whole-frame detector").inset

    def detect(self, frame: fer_sdk.Frame) -> list[fer_sdk.Box]:
        """One box covering the frame, inset on each side."""
        dx, dy = round(frame.width * self.inset), round(frame.height * self.inset)
        return [fer_sdk.Box(x=dx, y=dy, w=max(1, frame.width - 2 * dx), h=max(1, frame.height - 2 * dy))]


@fer_sdk.hookimpl
def register_detectors(register: fer_sdk.hookspecs.Register) -> None:
    """Register the detector under its name (and an alias)."""
    register(WholeFrameDetector, name="whole-frame", aliases=["whole"])

"""fer-sdk-example: a detector that reports the whole image as one face.

Examples:
    >>> import numpy as np
    >>> from fer_sdk_example import WholeFrameDetector
    >>> WholeFrameDetector(inset=0.1)(np.zeros((100, 200), np.uint8))[0].model_dump(include={"x", "y", "w", "h"})
    {'x': 20, 'y': 10, 'w': 160, 'h': 80}
"""

from __future__ import annotations

import fer_sdk

__all__ = ["WholeFrameDetector", "register_detectors"]


class WholeFrameDetector(fer_sdk.FaceDetector):
    """Reports the whole image, minus an ``inset`` fraction on each side, as one face.

    Args:
        inset: fraction of the width and height left out on each side (0 to 0.4).
    """

    name = "whole-frame"

    def __init__(self, inset: float = 0.0) -> None:
        if not 0.0 <= inset <= 0.4:
            raise ValueError(f"inset must be between 0 and 0.4, got {inset}")
        self.inset = inset

    def detect(self, frame: fer_sdk.Frame) -> list[fer_sdk.Box]:
        """One box covering the frame, inset on each side."""
        dx, dy = round(frame.width * self.inset), round(frame.height * self.inset)
        return [fer_sdk.Box(x=dx, y=dy, w=max(1, frame.width - 2 * dx), h=max(1, frame.height - 2 * dy))]


@fer_sdk.hookimpl
def register_detectors(register: fer_sdk.hookspecs.Register) -> None:
    """Register the detector under its name (and an alias)."""
    register(WholeFrameDetector, name="whole-frame", aliases=["whole"])

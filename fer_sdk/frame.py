"""Input validation, image files, and the :class:`Frame` handed to components.

A :class:`Frame` wraps one validated image and converts it to grayscale at most
once, however many components ask for it. :func:`read_image` reads an image file
the way ``fer-sdk predict`` and :mod:`fer_sdk.batch` do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fer_sdk.errors import InvalidImageError

__all__ = ["Frame", "as_image", "read_image"]

ACCEPTED = (
    "a numpy uint8 array: BGR HxWx3 (as cv2.imread and cv2.VideoCapture give), grayscale HxW or HxWx1, or BGRA HxWx4"
)


def read_image(path: Path) -> np.ndarray | None:
    """Read an image file as BGR (or gray) uint8; ``None`` when it cannot be read as an image.

    Examples:
        >>> read_image(Path("examples/images/astronaut.png")).shape
        (512, 512, 3)
        >>> read_image(Path("no/such/file.png")) is None
        True
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return img if img is not None and img.size else None


def _describe(obj: Any) -> str:
    if isinstance(obj, np.ndarray):
        return f"an array of dtype {obj.dtype} and shape {obj.shape}"
    if obj is None:
        return "None"
    return f"an object of type {type(obj).__name__}"


def as_image(obj: Any, what: str = "frame") -> np.ndarray:
    """Validate ``obj`` as an image; return it as contiguous BGR ``HxWx3`` or gray ``HxW`` uint8.

    Raises:
        InvalidImageError: when ``obj`` is not an accepted image; the message says
            what was received and what is accepted.

    Examples:
        >>> import numpy as np
        >>> as_image(np.zeros((4, 5, 1), np.uint8)).shape
        (4, 5)
        >>> as_image(None)
        Traceback (most recent call last):
        ...
        fer_sdk.errors.InvalidImageError: frame: got None (cv2.imread returns None ...); expected a numpy uint8 array...
    """
    if not isinstance(obj, np.ndarray):
        hint = " (cv2.imread returns None when it cannot read a file)" if obj is None else ""
        raise InvalidImageError(f"{what}: got {_describe(obj)}{hint}; expected {ACCEPTED}")
    if obj.dtype != np.uint8:
        hint = ""
        if np.issubdtype(obj.dtype, np.floating):
            hint = "; convert floats in [0, 1] with (img * 255).clip(0, 255).astype(np.uint8)"
        raise InvalidImageError(f"{what}: got {_describe(obj)}; expected {ACCEPTED}{hint}")
    if obj.ndim == 3 and obj.shape[2] == 1:
        obj = obj[:, :, 0]
    if obj.ndim not in (2, 3) or (obj.ndim == 3 and obj.shape[2] not in (3, 4)):
        raise InvalidImageError(f"{what}: got {_describe(obj)}; expected {ACCEPTED}")
    if obj.shape[0] < 1 or obj.shape[1] < 1:
        raise InvalidImageError(f"{what}: got an empty image of shape {obj.shape}; expected {ACCEPTED}")
    if obj.ndim == 3 and obj.shape[2] == 4:
        return cv2.cvtColor(np.ascontiguousarray(obj), cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(obj)


class Frame:
    """One validated image with lazily computed colour conversions.

    Detectors and preprocessors receive a ``Frame``; use :attr:`gray` or
    :attr:`bgr` rather than converting yourself, so each conversion happens
    once per frame.

    Examples:
        >>> import numpy as np
        >>> f = Frame(np.zeros((480, 640, 3), np.uint8))
        >>> f.height, f.width, f.gray.shape
        (480, 640, (480, 640))
    """

    __slots__ = ("_bgr", "_gray", "_rgb")

    def __init__(self, image: Any, what: str = "frame") -> None:
        img = as_image(image, what)
        self._gray: np.ndarray | None = img if img.ndim == 2 else None
        self._bgr: np.ndarray | None = img if img.ndim == 3 else None
        self._rgb: np.ndarray | None = None

    def crop(self, x: int, y: int, w: int, h: int) -> Frame:
        """The region ``(x, y, w, h)`` as a frame: views, no copy, keeping the conversions already made.

        Examples:
            >>> import numpy as np
            >>> f = Frame(np.zeros((480, 640, 3), np.uint8))
            >>> f.crop(10, 20, 100, 50).gray.shape
            (50, 100)
        """
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > self.width or y + h > self.height:
            raise InvalidImageError(f"crop ({x}, {y}, {w}, {h}) is not inside the {self.width}x{self.height} frame")
        sub = Frame.__new__(Frame)
        for name in self.__slots__:
            img = getattr(self, name)
            setattr(sub, name, None if img is None else img[y : y + h, x : x + w])
        return sub

    @property
    def height(self) -> int:
        """Rows."""
        return int(self._any.shape[0])

    @property
    def width(self) -> int:
        """Columns."""
        return int(self._any.shape[1])

    @property
    def _any(self) -> np.ndarray:
        img = self._bgr if self._bgr is not None else self._gray
        assert img is not None
        return img

    @property
    def gray(self) -> np.ndarray:
        """The frame as grayscale ``HxW`` uint8 (computed once)."""
        if self._gray is None:
            assert self._bgr is not None
            self._gray = cv2.cvtColor(self._bgr, cv2.COLOR_BGR2GRAY)
        return self._gray

    @property
    def bgr(self) -> np.ndarray:
        """The frame as BGR ``HxWx3`` uint8 (computed once for grayscale input)."""
        if self._bgr is None:
            assert self._gray is not None
            self._bgr = cv2.cvtColor(self._gray, cv2.COLOR_GRAY2BGR)
        return self._bgr

    @property
    def rgb(self) -> np.ndarray:
        """The frame as RGB ``HxWx3`` uint8 (computed once), for models trained on RGB."""
        if self._rgb is None:
            self._rgb = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2RGB)
        return self._rgb

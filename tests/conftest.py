"""Shared fixtures: real photos shipped in examples/, the FER2013 folder when present, one recognizer.

The photo and data set fixtures are fer_sdk.testing's, the ones plugin test suites use as well.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fer_sdk.testing import DATA_ENV, astronaut, fer2013, fer2013_root, hopper, two_faces

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "examples" / "images"

__all__ = ["DATA_ENV", "IMAGES", "ROOT", "astronaut", "fer2013", "fer2013_root", "hopper", "two_faces", "write_video"]


@pytest.fixture(scope="session")
def recognizer():  # type: ignore[no-untyped-def]
    from fer_sdk import EmotionRecognizer

    return EmotionRecognizer()


def _make_clip() -> Any:
    """examples/make_clip.py, the script the video tutorial runs: the tests' video is the tutorial's."""
    spec = importlib.util.spec_from_file_location("make_clip", ROOT / "examples" / "make_clip.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_video(path: Path, astronaut: np.ndarray, hopper: np.ndarray, frames: int = 40, fps: float = 10.0) -> Path:
    """A 640x480 video of known content (``examples/make_clip.py``).

    Frames 0-29: the astronaut's face drifts right (4 px a frame) on the left half.
    Frames 0-19: Grace Hopper on the right half as well. Frames 30-39: no face.
    Longer videos repeat the 40-frame pattern.
    """
    return Path(_make_clip().write_clip(path, astronaut, hopper, frames, fps))


@pytest.fixture(scope="session")
def video(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray, hopper: np.ndarray) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", astronaut, hopper)

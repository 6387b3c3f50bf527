"""Shared fixtures: real photos shipped in examples/, the FER2013 folder when present, one recognizer."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "examples" / "images"
DATA_ENV = "FER_SDK_DATA"


def fer2013_root() -> Path | None:
    """The FER2013 image folders: $FER_SDK_DATA, else ../shared/datasets/fer2013 beside the checkout."""
    env = os.environ.get(DATA_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "datasets" / "fer2013")
    for path in candidates:
        if (path / "PublicTest").is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def fer2013() -> Path:
    root = fer2013_root()
    if root is None:
        pytest.skip(
            f"FER2013 images not found: set {DATA_ENV} to the folder holding Training/ and PublicTest/, "
            "or place it at ../shared/datasets/fer2013 beside the checkout"
        )
    return root


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    img = cv2.imread(str(IMAGES / "astronaut.png"))
    assert img is not None
    return img


@pytest.fixture(scope="session")
def hopper() -> np.ndarray:
    img = cv2.imread(str(IMAGES / "grace_hopper.jpg"))
    assert img is not None
    return img


@pytest.fixture(scope="session")
def two_faces(astronaut: np.ndarray, hopper: np.ndarray) -> np.ndarray:
    """A 640x480 frame with two real faces side by side (Hopper's is the larger)."""
    left = cv2.resize(astronaut, (320, 320))
    right = cv2.resize(hopper[:560], (320, 350))[:320]
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[80:400, :320] = left
    frame[80:400, 320:] = right
    return frame


@pytest.fixture(scope="session")
def recognizer():  # type: ignore[no-untyped-def]
    from fer_sdk import EmotionRecognizer

    return EmotionRecognizer()


def write_video(path: Path, astronaut: np.ndarray, hopper: np.ndarray, frames: int = 40, fps: float = 10.0) -> Path:
    """A 640x480 video of known content.

    Frames 0-29: the astronaut's face drifts right (4 px a frame) on the left half.
    Frames 0-19: Grace Hopper on the right half as well. Frames 30-39: no face.
    Longer videos repeat the 40-frame pattern.
    """
    astro = cv2.resize(astronaut, (300, 300))
    hop = cv2.resize(hopper[:560], (260, 285))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (640, 480))
    assert writer.isOpened()
    for n in range(frames):
        i = n % 40
        frame = np.full((480, 640, 3), 60, np.uint8)
        if i < 30:
            x = 10 + 4 * i
            frame[90:390, x : x + 300] = astro
        if i < 20:
            frame[150:435, 370:630] = hop
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="session")
def video(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray, hopper: np.ndarray) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", astronaut, hopper)

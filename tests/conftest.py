"""Shared fixtures: real photos shipped in examples/, the FER2013 folder when present, one recognizer."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from fer_sdk_fixtures import DATA_ENV, IMAGES, ROOT, astronaut, fer2013, fer2013_root, hopper, two_faces

__all__ = ["DATA_ENV", "IMAGES", "ROOT", "astronaut", "fer2013", "fer2013_root", "hopper", "two_faces", "write_video"]


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

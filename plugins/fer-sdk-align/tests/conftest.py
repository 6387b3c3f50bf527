"""Real photos from the repository's examples/images, shared by this plugin's tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "examples" / "images"


def read(name: str) -> np.ndarray:
    img = cv2.imread(str(IMAGES / name))
    assert img is not None, f"cannot read {IMAGES / name}"
    return img


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return read("astronaut.png")


@pytest.fixture(scope="session")
def hopper() -> np.ndarray:
    return read("grace_hopper.jpg")


@pytest.fixture(scope="session")
def two_faces(astronaut: np.ndarray, hopper: np.ndarray) -> np.ndarray:
    """The 640x480 two-face frame of tests/conftest.py: the astronaut left, Grace Hopper (larger) right."""
    left = cv2.resize(astronaut, (320, 320))
    right = cv2.resize(hopper[:560], (320, 350))[:320]
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[80:400, :320] = left
    frame[80:400, 320:] = right
    return frame

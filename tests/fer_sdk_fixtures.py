"""Fixtures shared by the core tests and the plugins' tests: the photos in examples/, the FER2013 folder.

Imported by tests/conftest.py and by each plugin's tests/conftest.py (pytest's ``pythonpath``
puts tests/ on the import path), so that no test suite keeps a copy.
"""

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

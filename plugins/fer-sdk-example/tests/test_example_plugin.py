"""The example plugin, installed through its entry point, used through fer_sdk's public API."""

from __future__ import annotations

import numpy as np
import pytest

import fer_sdk
from fer_sdk.testing import check_detector, check_listed

pytest.importorskip("fer_sdk_example", reason="install the plugin first: pip install plugins/fer-sdk-example")

from fer_sdk_example import WholeFrameDetector


def test_listed_with_its_distribution() -> None:
    check_listed("detectors", "whole-frame", "fer-sdk-example")


def test_keeps_the_detector_contract(astronaut: np.ndarray) -> None:
    [box] = check_detector(WholeFrameDetector(inset=0.1), astronaut)
    assert box.model_dump(include={"x", "y", "w", "h"}) == {"x": 51, "y": 51, "w": 410, "h": 410}


def test_used_by_name_on_a_face_crop(astronaut: np.ndarray) -> None:
    crop = astronaut[55:175, 165:285]  # the astronaut's face
    rec = fer_sdk.EmotionRecognizer(detector="whole-frame")
    faces = rec.predict(crop)
    assert len(faces) == 1
    assert faces[0].box.model_dump(include={"x", "y", "w", "h"}) == {"x": 0, "y": 0, "w": 120, "h": 120}
    assert faces[0].emotion == "happy"


def test_options_are_validated() -> None:
    rec = fer_sdk.EmotionRecognizer(detector="whole", detector_options={"inset": 0.25})
    assert rec.detect(np.zeros((40, 80), np.uint8))[0].w == 40
    with pytest.raises(fer_sdk.ComponentError, match="inset"):
        fer_sdk.EmotionRecognizer(detector="whole-frame", detector_options={"inset": 0.9})
    with pytest.raises(fer_sdk.ComponentError, match="inset"):
        WholeFrameDetector(inset=-0.1)

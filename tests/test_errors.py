"""Bad input and bad configuration raise the documented errors with clear messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fer_sdk
from fer_sdk import (
    ComponentError,
    EmotionRecognizer,
    FerSdkError,
    InvalidImageError,
    UnknownComponentError,
)

BAD_FRAMES: list[tuple[Any, str]] = [
    (None, "got None"),
    ("photo.jpg", "type str"),
    ([[0, 1], [2, 3]], "type list"),
    (np.zeros((10, 10), np.float32), "dtype float32"),
    (np.zeros((10, 10, 3), np.int64), "dtype int64"),
    (np.zeros((10, 10, 2), np.uint8), "shape (10, 10, 2)"),
    (np.zeros((10, 10, 5), np.uint8), "shape (10, 10, 5)"),
    (np.zeros((10,), np.uint8), "shape (10,)"),
    (np.zeros((2, 10, 10, 3), np.uint8), "shape (2, 10, 10, 3)"),
    (np.zeros((0, 0, 3), np.uint8), "empty"),
    (np.zeros((0, 10), np.uint8), "empty"),
    (np.zeros((10, 10), bool), "dtype bool"),
]


@pytest.mark.parametrize(("frame", "said"), BAD_FRAMES)
def test_bad_frames_raise_invalid_image_error(recognizer: EmotionRecognizer, frame: Any, said: str) -> None:
    with pytest.raises(InvalidImageError) as err:
        recognizer.predict(frame)
    assert isinstance(err.value, FerSdkError) and isinstance(err.value, ValueError)
    message = str(err.value)
    assert said in message
    assert "expected" in message and "uint8" in message


def test_float_frame_message_says_how_to_convert(recognizer: EmotionRecognizer) -> None:
    with pytest.raises(InvalidImageError, match=r"astype\(np.uint8\)"):
        recognizer.predict(np.full((20, 20, 3), np.nan))


@pytest.mark.parametrize(
    "faces",
    [
        None,
        "face.png",
        np.zeros((48, 48), np.uint8),
        [np.zeros((48, 48), np.float64)],
        [None],
        np.zeros((2, 48), np.uint8),
    ],
)
def test_bad_faces_for_classify(recognizer: EmotionRecognizer, faces: Any) -> None:
    with pytest.raises(InvalidImageError):
        recognizer.classify(faces)


def test_classify_message_names_the_bad_face(recognizer: EmotionRecognizer) -> None:
    with pytest.raises(InvalidImageError, match="face 1"):
        recognizer.classify([np.zeros((48, 48), np.uint8), np.zeros((48, 48, 2), np.uint8)])


@pytest.mark.parametrize("slot", ["detector", "preprocessor", "classifier"])
def test_unknown_component_lists_available_names(slot: str) -> None:
    with pytest.raises(UnknownComponentError) as err:
        EmotionRecognizer(**{slot: "no-such-thing"})
    assert isinstance(err.value, FerSdkError)
    message = str(err.value)
    assert "no-such-thing" in message
    available = {"detector": "haar", "preprocessor": "standard", "classifier": "keras"}[slot]
    assert available in message


def test_option_typos_fail_loudly() -> None:
    with pytest.raises(ValueError, match="detector_optons"):
        EmotionRecognizer(detector_optons={})
    with pytest.raises(ComponentError, match="min_neighbours"):
        EmotionRecognizer(detector_options={"min_neighbours": 3})


def test_missing_model_folder_is_a_model_load_error(tmp_path: Any) -> None:
    with pytest.raises(fer_sdk.ModelLoadError, match="metadata"):
        _ = EmotionRecognizer(classifier=str(tmp_path)).labels


def test_error_hierarchy_is_exported() -> None:
    for name in ("InvalidImageError", "UnknownComponentError", "PluginError", "ComponentError", "ModelLoadError"):
        assert issubclass(getattr(fer_sdk, name), FerSdkError)

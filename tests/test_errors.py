"""Bad input and bad configuration raise the documented errors with clear messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fer_sdk
from fer_sdk import (
    ComponentError,
    ConfigError,
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
    with pytest.raises(ConfigError, match="detector_optons") as err:
        EmotionRecognizer(detector_optons={})
    assert isinstance(err.value, FerSdkError) and isinstance(err.value, ValueError)
    assert "Extra inputs are not permitted" in str(err.value)
    with pytest.raises(ConfigError, match="max_faces"):
        EmotionRecognizer(max_faces=0)
    with pytest.raises(ComponentError, match="min_neighbours"):
        EmotionRecognizer(detector_options={"min_neighbours": 3})


def test_missing_model_folder_is_a_model_load_error(tmp_path: Any) -> None:
    with pytest.raises(fer_sdk.ModelLoadError, match="metadata"):
        _ = EmotionRecognizer(classifier=str(tmp_path)).labels


def test_error_hierarchy_is_exported() -> None:
    names = (
        "InvalidImageError",
        "InvalidBoxError",
        "UnknownComponentError",
        "PluginError",
        "ComponentError",
        "ModelLoadError",
        "DatasetError",
        "ConfigError",
        "ExportError",
        "MissingExtraError",
    )
    for name in names:
        assert issubclass(getattr(fer_sdk, name), FerSdkError)
        assert getattr(fer_sdk, name) is getattr(fer_sdk.errors, name)  # one home: fer_sdk.errors
    assert issubclass(fer_sdk.PluginWarning, UserWarning)
    assert issubclass(fer_sdk.ConfigError, ValueError)


def test_bad_configuration_values_are_config_errors() -> None:
    from fer_sdk.plugins import Registry
    from fer_sdk.train.archs import build
    from fer_sdk.train.config import TrainConfig
    from fer_sdk.video import StreamOptions

    with pytest.raises(fer_sdk.ConfigError, match="unknown component kind 'detector'"):
        Registry(autoload=False).infos("detector")
    with pytest.raises(fer_sdk.ConfigError, match="unknown architecture 'no-such-arch'"):
        build("no-such-arch", (48, 48, 1), 7)
    # inside a pydantic options model the same message reaches the caller in pydantic's ValidationError
    with pytest.raises(ValueError, match="smoothing works per track"):
        StreamOptions(smoothing="ema", track=False)
    with pytest.raises(ValueError, match="average_of and ensemble_of train nothing"):
        TrainConfig(data="fer2013", average_of=["a", "b"], teacher=["c"])


class _Plugin:
    """Registers misbehaving components under the plugin name 'misbehaving'."""

    @fer_sdk.hookimpl
    def register_detectors(self, register):  # type: ignore[no-untyped-def]
        register(_NanDetector, name="nan-boxes")
        register(_RaisingDetector, name="raises")
        register(_OutsideDetector, name="outside")
        register(_EdgeDetector, name="edge")

    @fer_sdk.hookimpl
    def register_classifiers(self, register):  # type: ignore[no-untyped-def]
        register(_WrongShapeClassifier, name="wrong-shape")


class _NanDetector(fer_sdk.FaceDetector):
    def detect(self, frame: fer_sdk.Frame) -> Any:
        return [(float("nan"), 0, 10, 10)]


class _RaisingDetector(fer_sdk.FaceDetector):
    def detect(self, frame: fer_sdk.Frame) -> Any:
        raise RuntimeError("boom")


class _OutsideDetector(fer_sdk.FaceDetector):
    def detect(self, frame: fer_sdk.Frame) -> Any:
        return [fer_sdk.Box(x=frame.width + 5, y=0, w=10, h=10)]


class _EdgeDetector(fer_sdk.FaceDetector):
    def detect(self, frame: fer_sdk.Frame) -> Any:
        return [fer_sdk.Box(x=-10, y=-10, w=40, h=40, score=0.9)]


class _WrongShapeClassifier(fer_sdk.EmotionClassifier):
    @property
    def labels(self) -> tuple[str, ...]:
        return fer_sdk.FER7

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        return np.ones((len(batch), 3))


@pytest.fixture()
def registry() -> Any:
    from fer_sdk.plugins import Registry

    reg = Registry(autoload=False)
    reg.register_plugin(_Plugin(), name="misbehaving", distribution="misbehaving-dist 0.1")
    return reg


@pytest.mark.parametrize(
    ("detector", "said"),
    [("nan-boxes", "non-finite"), ("raises", "RuntimeError: boom"), ("outside", "entirely outside")],
)
def test_misbehaving_detector_is_named_and_recognizer_stays_usable(
    registry: Any, astronaut: np.ndarray, detector: str, said: str
) -> None:
    rec = EmotionRecognizer(detector=detector, registry=registry)
    with pytest.raises(ComponentError) as err:
        rec.predict(astronaut)
    assert "misbehaving" in str(err.value) and detector in str(err.value) and said in str(err.value)
    with pytest.raises(ComponentError):
        rec.predict(astronaut)  # same error again, no corrupted state
    assert rec.classify([astronaut[60:170, 170:280]])[0].emotion in rec.labels


def test_boxes_partly_outside_the_frame_are_clipped(registry: Any, astronaut: np.ndarray) -> None:
    faces = EmotionRecognizer(detector="edge", registry=registry).predict(astronaut)
    assert faces[0].box.model_dump(include={"x", "y", "w", "h", "score"}) == {
        "x": 0,
        "y": 0,
        "w": 30,
        "h": 30,
        "score": 0.9,
    }


def test_classifier_returning_the_wrong_shape_is_named(registry: Any, astronaut: np.ndarray) -> None:
    rec = EmotionRecognizer(classifier="wrong-shape", registry=registry)
    with pytest.raises(ComponentError, match=r"wrong-shape.*shape \(1, 3\); expected \(1, 7\)"):
        rec.predict(astronaut)

"""fer-sdk-align's ``aligned`` preprocessor, installed through its entry point, on real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import fer_sdk
from fer_sdk import Box, EmotionRecognizer, Frame
from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.builtin.preprocess import StandardPreprocessor
from fer_sdk.testing import check_listed, check_preprocessor

pytest.importorskip("fer_sdk_align", reason="install the plugin first: pip install plugins/fer-sdk-align")

from fer_sdk_align import AlignedPreprocessor, eye_angle

# The astronaut's face in examples/images/astronaut.png and its eyes (as the mtcnn detector finds them).
LEFT_EYE, RIGHT_EYE = (202.9, 99.8), (245.4, 101.3)
FACE = Box(x=176, y=60, w=90, h=113, landmarks={"left_eye": LEFT_EYE, "right_eye": RIGHT_EYE})


def rotated(img: np.ndarray, box: Box, angle: float) -> tuple[np.ndarray, Box]:
    """``img`` rotated by ``angle`` degrees about the centre of ``box``, and ``box`` with its eyes moved along."""
    turn = cv2.getRotationMatrix2D((box.x + box.w / 2, box.y + box.h / 2), angle, 1.0)
    out = cv2.warpAffine(img, turn, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)
    marks = {k: tuple(float(v) for v in turn @ (x, y, 1.0)) for k, (x, y) in (box.landmarks or {}).items()}
    return out, box.model_copy(update={"landmarks": marks})


def test_listed_by_the_cli_with_its_distribution() -> None:
    check_listed("preprocessors", "aligned", "fer-sdk-align")


def test_defaults_are_the_bundled_models_preprocessing() -> None:
    declared = dict(KerasClassifier().preprocessing)
    assert declared.pop("name") == "standard"
    assert AlignedPreprocessor().options.model_dump() == declared
    assert AlignedPreprocessor.for_classifier(KerasClassifier()).options.model_dump() == declared


def test_keeps_the_preprocessor_contract(astronaut: np.ndarray) -> None:
    plain = FACE.model_copy(update={"landmarks": None})
    assert check_preprocessor(AlignedPreprocessor(), astronaut, [FACE, plain]).shape == (2, 48, 48, 1)


@pytest.mark.parametrize("options", [{}, {"size": 64, "scale": "standardize", "margin": 0.1}, {"scale": "none"}])
def test_output_format_matches_the_standard_preprocessor(astronaut: np.ndarray, options: dict[str, object]) -> None:
    frame = Frame(astronaut)
    plain = FACE.model_copy(update={"landmarks": None})
    tilted_eyes = FACE.model_copy(update={"landmarks": {"left_eye": (200.0, 90.0), "right_eye": (245.0, 110.0)}})
    std = StandardPreprocessor(**options).prepare(frame, [FACE, plain])
    out = AlignedPreprocessor(**options).prepare(frame, [tilted_eyes, plain])
    assert out.shape == std.shape and out.dtype == std.dtype == np.float32
    if options.get("scale", "unit") == "unit":
        assert out.min() >= 0.0 and out.max() <= 1.0
    elif options["scale"] == "none":
        assert out.min() >= 0.0 and out.max() <= 255.0
    # without eye landmarks (e.g. from haar) and for level eyes the crop is exactly the standard one
    np.testing.assert_array_equal(out[1], std[1])
    level = AlignedPreprocessor(**options, min_angle=5.0).prepare(frame, [FACE])
    np.testing.assert_array_equal(level[0], std[0])
    # face crops given to classify() are used whole, as by the standard preprocessor
    crops = [astronaut[60:173, 176:266]]
    np.testing.assert_array_equal(
        AlignedPreprocessor(**options).prepare_crops(crops), StandardPreprocessor(**options).prepare_crops(crops)
    )


@pytest.mark.parametrize("angle", [20, -20])
def test_a_face_turned_20_degrees_is_cropped_upright_again(astronaut: np.ndarray, angle: float) -> None:
    level_all, standard = AlignedPreprocessor(min_angle=0.0), StandardPreprocessor()
    upright = level_all.prepare(Frame(astronaut), [FACE])[0]  # the photo's own 2-degree tilt levelled too
    image, box = rotated(astronaut, FACE, angle)
    measured = eye_angle(box)
    assert measured is not None and abs(measured - (eye_angle(FACE) or 0.0) + angle) < 0.1
    redone = level_all.prepare(Frame(image), [box])[0]
    unaligned = standard.prepare(Frame(image), [box])[0]
    assert np.abs(redone - upright).mean() < 0.02  # nearly the same pixels (0..1 scale)
    assert np.abs(unaligned - upright).mean() > 0.1  # while the plain crop is far off
    # with the default min_angle the upright photo keeps its small tilt: still close to its standard crop
    default = AlignedPreprocessor().prepare(Frame(image), [box])[0]
    assert np.abs(default - standard.prepare(Frame(astronaut), [FACE])[0]).mean() < 0.05


def test_with_the_mtcnn_detector_on_a_tilted_photo(astronaut: np.ndarray) -> None:
    pytest.importorskip("fer_sdk_mtcnn", reason="pip install plugins/fer-sdk-mtcnn")
    rec = EmotionRecognizer(detector="mtcnn", preprocessor="aligned")
    [upright] = rec.detect(astronaut)
    image, _ = rotated(astronaut, FACE, 25)
    [face] = rec.predict(image)
    assert face.emotion == "happy"
    redone = rec.preprocessor.prepare(Frame(image), [face.box])[0]
    reference = rec.preprocessor.prepare(Frame(astronaut), [upright])[0]
    unaligned = StandardPreprocessor().prepare(Frame(image), [face.box])[0]
    assert np.abs(redone - reference).mean() < 0.6 * np.abs(unaligned - reference).mean()


def test_eye_angle() -> None:
    assert eye_angle(FACE.model_copy(update={"landmarks": {"left_eye": (0, 0), "right_eye": (10, 0)}})) == 0.0
    assert eye_angle(FACE.model_copy(update={"landmarks": {"left_eye": (0, 0), "right_eye": (0, 10)}})) == 90.0
    assert eye_angle(FACE.model_copy(update={"landmarks": {"left_eye": (1, 1), "right_eye": (1, 1)}})) is None
    assert eye_angle(FACE.model_copy(update={"landmarks": {"nose": (1, 1)}})) is None


@pytest.mark.parametrize(
    ("options", "word"),
    [
        ({"min_angle": -1}, "min_angle"),
        ({"size": 4}, "size"),
        ({"scale": "zscore"}, "scale"),
        ({"rotate": 1}, "rotate"),
    ],
)
def test_options_are_validated(options: dict[str, object], word: str) -> None:
    with pytest.raises(fer_sdk.ComponentError, match=word):
        AlignedPreprocessor(**options)
    with pytest.raises(fer_sdk.ComponentError, match=word):
        EmotionRecognizer(preprocessor="aligned", preprocessor_options=options)


def test_for_classifier_refuses_other_preprocessing() -> None:
    class Other(KerasClassifier):
        @property
        def preprocessing(self) -> dict[str, object]:
            return {"name": "rgb-224"}

    with pytest.raises(fer_sdk.ComponentError, match="rgb-224"):
        AlignedPreprocessor.for_classifier(Other())


def test_by_name_it_gets_the_preprocessing_the_classifier_declares() -> None:
    class Declares64(KerasClassifier):
        @property
        def preprocessing(self) -> dict[str, object]:
            return {"name": "standard", "size": 64, "scale": "standardize", "margin": 0.1}

    rec = EmotionRecognizer(preprocessor="aligned", classifier=Declares64(), preprocessor_options={"min_angle": 5})
    assert isinstance(rec.preprocessor, AlignedPreprocessor)
    opts = rec.preprocessor.aligned_options
    assert (opts.size, opts.scale, opts.margin, opts.min_angle) == (64, "standardize", 0.1, 5)

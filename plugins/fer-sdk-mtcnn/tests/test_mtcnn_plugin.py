"""fer-sdk-mtcnn installed through its entry point and used through fer_sdk's public API, on real photos."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

import fer_sdk
from fer_sdk import Box, EmotionRecognizer, Frame
from fer_sdk.builtin.haar import HaarDetector
from fer_sdk.testing import ASTRONAUT_FACE, check_detector, check_listed, modules_imported_by, rotate
from fer_sdk.testing import eye_tilt as tilt

pytest.importorskip("fer_sdk_mtcnn", reason="install the plugin first: pip install plugins/fer-sdk-mtcnn")

from fer_sdk_mtcnn import LANDMARKS, MtcnnDetector


@pytest.fixture(scope="module")
def detector() -> MtcnnDetector:
    return MtcnnDetector()


@pytest.fixture(scope="module")
def rec() -> EmotionRecognizer:
    return EmotionRecognizer(detector="mtcnn")


def test_listed_by_the_cli_with_its_distribution() -> None:
    check_listed("detectors", "mtcnn", "fer-sdk-mtcnn")


def test_listing_and_construction_do_not_load_tensorflow() -> None:
    code = "import fer_sdk; fer_sdk.available_components(); fer_sdk.EmotionRecognizer(detector='mtcnn')"
    assert modules_imported_by(code, ["tensorflow", "mtcnn", "keras"]) == []


def test_keeps_the_detector_contract(detector: MtcnnDetector, two_faces: np.ndarray) -> None:
    assert len(check_detector(detector, two_faces)) == 2


def test_used_by_name_on_real_photos(rec: EmotionRecognizer, astronaut: np.ndarray, hopper: np.ndarray) -> None:
    [astro] = rec.predict(astronaut)
    assert astro.emotion == "happy"
    assert astro.box.iou(ASTRONAUT_FACE) > 0.5
    assert astro.box.score is not None and astro.box.score > 0.95
    [grace] = rec.predict(hopper)
    assert grace.box.score is not None and grace.box.score > 0.9
    assert 150 < grace.box.w < 250  # her face, not the whole portrait


def test_both_faces_of_the_two_face_frame(rec: EmotionRecognizer, two_faces: np.ndarray) -> None:
    faces = rec.predict(two_faces)
    assert len(faces) == 2
    hopper_face, astro_face = faces  # largest first: Grace Hopper's
    assert hopper_face.box.x >= 320 > astro_face.box.x + astro_face.box.w / 2
    assert astro_face.emotion == "happy"


@pytest.mark.parametrize("name", ["astronaut", "hopper"])
def test_eyes_inside_the_box_and_level_on_an_upright_face(
    detector: MtcnnDetector, name: str, request: pytest.FixtureRequest
) -> None:
    [box] = detector(request.getfixturevalue(name))
    assert box.landmarks is not None and set(box.landmarks) == set(LANDMARKS)
    (lx, ly), (rx, ry) = box.landmarks["left_eye"], box.landmarks["right_eye"]
    for x, y in ((lx, ly), (rx, ry)):
        assert box.x <= x < box.x + box.w and box.y <= y < box.y + box.h / 2  # in the upper half
    assert lx < rx  # left_eye is the one nearer the frame's left edge
    assert rx - lx > 0.25 * box.w
    assert abs(tilt(box)) < 8
    nose_y, mouth_y = box.landmarks["nose"][1], box.landmarks["mouth_left"][1]
    assert max(ly, ry) < nose_y < mouth_y


@pytest.mark.parametrize("angle", [-40, 30])
def test_finds_turned_faces_that_haar_misses(detector: MtcnnDetector, astronaut: np.ndarray, angle: int) -> None:
    tilted = rotate(astronaut, (220.0, 115.0), angle)
    assert HaarDetector()(tilted) == []
    [box] = detector(tilted)
    assert box.iou(ASTRONAUT_FACE) > 0.4
    upright = tilt(detector(astronaut)[0])
    assert abs(tilt(box) - (upright - angle)) < 8  # the eye line turned with the head


def test_boxes_and_landmarks_are_clipped_to_the_frame(detector: MtcnnDetector, astronaut: np.ndarray) -> None:
    cut = np.ascontiguousarray(astronaut[85:, 195:])  # the face runs off the top and left edges
    boxes = detector(cut)
    assert boxes, "the cut face should still be found"
    height, width = cut.shape[:2]
    for box in boxes:
        assert box.x >= 0 and box.y >= 0 and box.x + box.w <= width and box.y + box.h <= height
        assert box.landmarks is not None
        for x, y in box.landmarks.values():
            assert 0 <= x <= width - 1 and 0 <= y <= height - 1


def test_gray_empty_and_tiny_frames(detector: MtcnnDetector, astronaut: np.ndarray) -> None:
    gray = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    assert len(detector(gray)) == 1
    assert detector(np.zeros((480, 640, 3), np.uint8)) == []
    assert detector(np.full((10, 12), 128, np.uint8)) == []


def test_min_size_skips_smaller_faces(astronaut: np.ndarray) -> None:
    assert len(MtcnnDetector(min_size=60)(astronaut)) == 1  # the face is about 100 pixels
    assert MtcnnDetector(min_size=300)(astronaut) == []


def test_one_detector_shared_by_threads(detector: MtcnnDetector, astronaut: np.ndarray, hopper: np.ndarray) -> None:
    frames = [astronaut, hopper] * 3
    expected = [detector(f) for f in frames]
    results: dict[int, list[Box]] = {}

    def run(i: int) -> None:
        results[i] = detector.detect(Frame(frames[i]))  # type: ignore[assignment]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(frames))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(frames))] == expected


@pytest.mark.parametrize(
    ("options", "word"),
    [
        ({"min_size": 10}, "min_size"),
        ({"score_threshold": 1.5}, "score_threshold"),
        ({"detect_width": 8}, "detect_width"),
        ({"threshold": 0.5}, "threshold"),
    ],
)
def test_options_are_validated(options: dict[str, object], word: str) -> None:
    with pytest.raises(fer_sdk.ComponentError, match=word):
        MtcnnDetector(**options)
    with pytest.raises(fer_sdk.ComponentError, match=word):
        EmotionRecognizer(detector="mtcnn", detector_options=options)

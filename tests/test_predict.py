"""EmotionRecognizer.predict and classify on real photos, through the public API."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import fer_sdk
from fer_sdk import EmotionPrediction, EmotionRecognizer, FaceEmotion


def test_labels_are_the_seven_fer2013_emotions(recognizer: EmotionRecognizer) -> None:
    assert recognizer.labels == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def test_astronaut_one_smiling_face_with_a_sensible_box(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    faces = recognizer.predict(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert isinstance(face, FaceEmotion)
    b = face.box
    # the face of the 512x512 portrait lies around x 180-270, y 70-160
    assert 150 <= b.x <= 200 and 40 <= b.y <= 100, b
    assert 70 <= b.w <= 130 and 70 <= b.h <= 130, b
    assert face.emotion == "happy"
    assert list(face.scores) == list(recognizer.labels)
    assert math.isclose(sum(face.scores.values()), 1.0, abs_tol=1e-6)
    assert face.confidence == max(face.scores.values())
    assert face.scores[face.emotion] == face.confidence


def test_hopper_one_face(recognizer: EmotionRecognizer, hopper: np.ndarray) -> None:
    faces = recognizer.predict(hopper)
    assert len(faces) == 1
    b = faces[0].box
    assert 120 <= b.x <= 200 and 60 <= b.y <= 160 and 150 <= b.w <= 280, b


def test_two_faces_largest_first_and_stable(recognizer: EmotionRecognizer, two_faces: np.ndarray) -> None:
    faces = recognizer.predict(two_faces)
    assert len(faces) == 2
    assert faces[0].box.area >= faces[1].box.area
    assert faces[0].box.x >= 320 > faces[1].box.x  # Hopper (right) has the larger face
    again = recognizer.predict(two_faces)
    assert [f.model_dump() for f in again] == [f.model_dump() for f in faces]


def test_gray_bgra_and_bgr_agree(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    bgr = recognizer.predict(astronaut)
    gray = recognizer.predict(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY))
    gray1 = recognizer.predict(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)[:, :, None])
    bgra = recognizer.predict(cv2.cvtColor(astronaut, cv2.COLOR_BGR2BGRA))
    assert [f.box for f in gray] == [f.box for f in bgr] == [f.box for f in bgra] == [f.box for f in gray1]
    assert gray[0].emotion == bgr[0].emotion


def test_non_contiguous_and_read_only_frames(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    view = np.ascontiguousarray(astronaut[:, ::-1])[:, ::-1]  # negative strides
    ro = astronaut.copy()
    ro.setflags(write=False)
    assert [f.box for f in recognizer.predict(view)] == [f.box for f in recognizer.predict(ro)]


def test_frame_without_face_gives_empty_list(recognizer: EmotionRecognizer) -> None:
    assert recognizer.predict(np.zeros((480, 640, 3), np.uint8)) == []
    assert recognizer.predict(np.full((1, 1), 255, np.uint8)) == []


def test_results_serialise_to_json(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    face = recognizer.predict(astronaut)[0]
    again = FaceEmotion.model_validate_json(face.model_dump_json())
    assert again == face


def test_max_faces_keeps_the_largest(two_faces: np.ndarray) -> None:
    rec = EmotionRecognizer(max_faces=1)
    faces = rec.predict(two_faces)
    assert len(faces) == 1 and faces[0].box.x >= 320


def test_classify_crops_list_and_batch(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    box = recognizer.predict(astronaut)[0].box
    crop = astronaut[box.y : box.y + box.h, box.x : box.x + box.w]
    preds = recognizer.classify([crop, cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.resize(crop, (48, 48))])
    assert len(preds) == 3
    assert all(isinstance(p, EmotionPrediction) for p in preds)
    assert all(p.emotion == "happy" for p in preds)
    batch = np.stack([cv2.resize(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), (60, 60))] * 5)
    out = recognizer.classify(batch)
    assert len(out) == 5 and out[0] == out[4]
    assert recognizer.classify([]) == []


def test_classify_more_faces_than_one_batch(astronaut: np.ndarray) -> None:
    rec = EmotionRecognizer(classifier_options={"batch_size": 4})
    faces = np.stack([cv2.resize(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)[60:170, 170:280], (48, 48))] * 10)
    preds = rec.classify(faces)
    assert len(preds) == 10 and len({p.emotion for p in preds}) == 1


def test_construction_is_cheap_and_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import fer_sdk; r = fer_sdk.EmotionRecognizer(); r.labels; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_annotate_draws_on_a_copy(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    faces = recognizer.predict(astronaut)
    before = astronaut.copy()
    out = fer_sdk.annotate(astronaut, faces)
    assert np.array_equal(astronaut, before)
    assert out.shape == astronaut.shape and not np.array_equal(out, astronaut)


@pytest.mark.parametrize("detector", ["haar", "haarcascade"])
def test_detector_by_name_and_alias(detector: str, astronaut: np.ndarray) -> None:
    assert len(EmotionRecognizer(detector=detector).detect(astronaut)) == 1


def test_one_recognizer_shared_by_threads_matches_sequential(
    recognizer: EmotionRecognizer, astronaut: np.ndarray, hopper: np.ndarray, two_faces: np.ndarray
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frames = [astronaut, hopper, two_faces, np.zeros((100, 100), np.uint8)] * 4
    expected = [[f.model_dump() for f in recognizer.predict(fr)] for fr in frames]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda fr: [f.model_dump() for f in recognizer.predict(fr)], frames * 2))
    assert got == expected * 2

"""The built-in Haar detector on real faces: one box per face at every size, and the coarse octave's recall."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fer_sdk import Box, Frame
from fer_sdk.builtin.haar import HaarDetector


def paste(background: np.ndarray, face: np.ndarray, box: Box) -> None:
    background[box.y : box.y + box.h, box.x : box.x + box.w] = cv2.resize(
        face, (box.w, box.h), interpolation=cv2.INTER_AREA if face.shape[0] > box.h else cv2.INTER_CUBIC
    )


@pytest.mark.parametrize("face_side", [60, 90, 110, 150, 220, 320])
@pytest.mark.parametrize("coarse_octave", [True, False])
def test_one_box_per_face_at_every_size(hopper: np.ndarray, face_side: int, coarse_octave: bool) -> None:
    # Grace Hopper's face fills about 0.45 of the photo's width; scale the photo so it spans face_side pixels
    gray = cv2.cvtColor(hopper, cv2.COLOR_BGR2GRAY)
    scale = face_side / (0.45 * gray.shape[1])
    photo = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)[:480, :640]
    frame = np.full((480, 640), 128, np.uint8)
    frame[: photo.shape[0], : photo.shape[1]] = photo
    boxes = HaarDetector(coarse_octave=coarse_octave).detect(Frame(frame))
    assert len(boxes) == 1, boxes
    assert 0.6 * face_side <= boxes[0].w <= 1.4 * face_side, (boxes[0], face_side)


def test_coarse_octave_matches_one_search_on_large_faces(hopper: np.ndarray) -> None:
    frame = Frame(hopper)
    (one,) = HaarDetector(coarse_octave=False).detect(frame)
    (two,) = HaarDetector().detect(frame)
    assert two.iou(one) >= 0.7, (one, two)


@pytest.mark.dataset
def test_coarse_octave_keeps_recall_on_pasted_fer2013_faces(fer2013, astronaut: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    from fer_sdk.datasets import load_image_folders

    faces = load_image_folders(fer2013, "PublicTest").images[:, :, :, 0]
    # a real background without faces: the astronaut's suit and the flag, below her face
    background = cv2.resize(cv2.cvtColor(astronaut[220:], cv2.COLOR_BGR2GRAY), (640, 480))
    rng = np.random.default_rng(3)
    frames, truths = [], []
    for _ in range(150):
        frame = background.copy()
        side = int(rng.integers(48, 201))
        box = Box(x=int(rng.integers(0, 640 - side)), y=int(rng.integers(0, 480 - side)), w=side, h=side)
        paste(frame, faces[int(rng.integers(len(faces)))], box)
        frames.append(Frame(frame))
        truths.append(box)

    def score(detector: HaarDetector) -> tuple[int, int, int]:
        found = false = repeated = 0
        for frame, truth in zip(frames, truths, strict=True):
            boxes = detector.detect(frame)
            on_face = [b for b in boxes if b.iou(truth) >= 0.3]
            found += bool(on_face)
            repeated += max(0, len(on_face) - 1)
            false += len(boxes) - len(on_face)
        return found, false, repeated

    one_found, one_false, one_repeated = score(HaarDetector(coarse_octave=False))
    found, false, repeated = score(HaarDetector())
    print(f"one search: {one_found} found, {one_false} false; two octaves: {found} found, {false} false")
    assert one_found >= 75, "the test frames should hold faces the Haar cascade finds"
    assert found >= 0.95 * one_found, (found, one_found)
    assert repeated == one_repeated == 0
    assert false <= max(4, 2 * one_false), (false, one_false)

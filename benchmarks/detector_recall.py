"""Face recall, false boxes and speed of Haar detector settings on 640x480 frames with real faces.

Frames: real photos without faces (scikit-image's sample images, resized to
640x480) with one or two FER2013 PublicTest faces pasted in at known places and
sizes (48 to 200 pixels). A detection finds a face when it overlaps the pasted
square with IoU >= 0.3; other detections are false boxes. The settings compared:

* ``fer``: what the ``fer`` package does (full frame, scaleFactor 1.1, minNeighbors 5, minSize 50);
* ``v0.1``: fer_sdk's first defaults (``default`` cascade, min_size 36, scaleFactor 1.1, minNeighbors 4);
* ``one-pass``: fer_sdk's previous defaults (``alt2`` cascade, min_size 48: detection on a half-size copy,
  scaleFactor 1.2, minNeighbors 1), one OpenCV search;
* ``default``: fer_sdk's default now: the same, with faces of 80 pixels and more searched on a
  quarter-size copy and then placed precisely on the half-size one (``coarse_octave``);
* ``blazeface``: for comparison, when ``plugins/fer-sdk-blazeface`` is installed, its ``blazeface``
  detector with its defaults (a CNN, not a Haar setting; ``benchmarks/detector_compare.py`` compares
  the detector plugins in more detail).

The settings take turns on each frame, so a busy machine slows them alike.

    pip install scikit-image   # for the background photos
    python benchmarks/detector_recall.py --data ../shared/datasets/fer2013 --frames 300
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fer_sdk import Box, Frame
from fer_sdk.builtin.haar import HaarDetector, cascade_path
from fer_sdk.datasets import load_image_folders

BACKGROUNDS = ("coffee", "gravel", "brick", "motorcycle_left", "page", "grass", "horse", "chelsea", "coins", "moon")
BUCKETS = ((48, 80), (80, 120), (120, 201))
IOU = 0.3  # a detection finds a pasted face when it overlaps it this much


def backgrounds() -> list[np.ndarray]:
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    out = []
    for name in BACKGROUNDS:
        img = cv2.imread(str(folder / f"{name}.png"))
        if img is not None:
            out.append(cv2.resize(img, (640, 480), interpolation=cv2.INTER_AREA))
    return out


def make_frames(faces: np.ndarray, n: int, seed: int = 0) -> list[tuple[np.ndarray, list[Box]]]:
    rng = np.random.default_rng(seed)
    bgs = backgrounds()
    frames = []
    for i in range(n):
        frame = bgs[i % len(bgs)].copy()
        truth: list[Box] = []
        for _ in range(1 + i % 2):
            size = int(rng.integers(48, 201))
            for _ in range(20):
                x, y = int(rng.integers(0, 640 - size)), int(rng.integers(0, 480 - size))
                box = Box(x=x, y=y, w=size, h=size)
                if all(box.iou(t) == 0 for t in truth):
                    face = cv2.resize(faces[int(rng.integers(len(faces)))], (size, size), interpolation=cv2.INTER_CUBIC)
                    frame[y : y + size, x : x + size] = cv2.cvtColor(face, cv2.COLOR_GRAY2BGR)
                    truth.append(box)
                    break
        frames.append((frame, truth))
    return frames


def bucket(box: Box) -> tuple[int, int]:
    """The size bucket of a pasted face."""
    return next(b for b in BUCKETS if b[0] <= box.w < b[1])


def match(boxes: list[Box], truth: list[Box]) -> tuple[list[Box], int]:
    """The pasted faces that ``boxes`` find (IoU >= 0.3), and how many boxes find none."""
    hits: list[Box] = []
    matched: set[int] = set()
    for t in truth:
        hit = [i for i, b in enumerate(boxes) if b.iou(t) >= IOU]
        if hit:
            hits.append(t)
            matched.update(hit)
    return hits, len(boxes) - len(matched)


def detect_in_turns(
    detectors: dict[str, Any], frames: list[tuple[np.ndarray, list[Box]]], *, shared_frame: bool
) -> tuple[dict[str, list[list[Box]]], dict[str, list[float]]]:
    """Run the detectors in turn on each frame: each one's boxes and milliseconds per frame.

    Taking turns on every frame means a machine whose speed drifts slows them alike.
    With ``shared_frame`` the detectors get one :class:`~fer_sdk.Frame` whose grayscale
    copy is made before timing (as in the recognizer); otherwise each gets a fresh one
    and its colour conversion is timed.
    """
    boxes: dict[str, list[list[Box]]] = {name: [] for name in detectors}
    times: dict[str, list[float]] = {name: [] for name in detectors}
    for frame, _ in frames:
        shared = Frame(frame)
        if shared_frame:
            shared.gray  # noqa: B018  (the conversion is shared, as in the recognizer)
        for name, det in detectors.items():
            f = shared if shared_frame else Frame(frame)
            t0 = time.perf_counter()
            boxes[name].append(list(det.detect(f)))
            times[name].append((time.perf_counter() - t0) * 1000)
    return boxes, times


def take_turns(
    detectors: dict[str, Any], frames: list[tuple[np.ndarray, list[Box]]], *, shared_frame: bool
) -> tuple[dict[str, dict[tuple[int, int], int]], dict[tuple[int, int], int], dict[str, int], dict[str, list[float]]]:
    """Run the detectors in turn on each frame (:func:`detect_in_turns`); score them against the pasted faces.

    Returns faces found per detector and size bucket, faces per bucket, false boxes
    per detector and milliseconds per frame.
    """
    boxes, times = detect_in_turns(detectors, frames, shared_frame=shared_frame)
    found = {name: dict.fromkeys(BUCKETS, 0) for name in detectors}
    total = dict.fromkeys(BUCKETS, 0)
    for _, truth in frames:
        for t in truth:
            total[bucket(t)] += 1
    false = dict.fromkeys(detectors, 0)
    for name in detectors:
        for found_boxes, (_, truth) in zip(boxes[name], frames, strict=True):
            hits, n_false = match(found_boxes, truth)
            for t in hits:
                found[name][bucket(t)] += 1
            false[name] += n_false
    return found, total, false, times


class FerLike:
    """The Haar call of the ``fer`` package: full frame, scaleFactor 1.1, minNeighbors 5, minSize 50."""

    def __init__(self) -> None:
        self.cascade = cv2.CascadeClassifier(str(cascade_path("haarcascade_frontalface_default.xml")))

    def detect(self, frame: Frame) -> list[Box]:
        found = self.cascade.detectMultiScale(frame.gray, scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))
        return [Box(x=int(x), y=int(y), w=int(w), h=int(h)) for x, y, w, h in found]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    faces = load_image_folders(args.data, "PublicTest").images[..., 0]
    frames = make_frames(faces, args.frames)
    settings: dict[str, Any] = {
        "fer": FerLike(),
        "v0.1": HaarDetector(
            cascade="haarcascade_frontalface_default.xml",
            min_size=36,
            scale_factor=1.1,
            min_neighbors=4,
            coarse_octave=False,
        ),
        "one-pass": HaarDetector(coarse_octave=False),
        "default": HaarDetector(),
    }
    try:
        from fer_sdk_blazeface import BlazeFaceDetector
    except ImportError:
        print("(plugins/fer-sdk-blazeface is not installed: no blazeface row)")
    else:
        settings["blazeface"] = BlazeFaceDetector()
        settings["blazeface"].detect(Frame(frames[0][0]))  # first use loads the model: not timed
    n_faces = sum(len(t) for _, t in frames)
    print(f"{len(frames)} frames of 640x480, {n_faces} pasted faces (48-200 px)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; opencv {cv2.__version__}")
    found, total, false, times = take_turns(settings, frames, shared_frame=True)
    head = " ".join(f"{f'recall {lo}-{hi - 1}px':>17s}" for lo, hi in BUCKETS)
    print(f"{'setting':9s} {'recall':>7s} {head} {'false/frame':>11s} {'ms/frame':>9s} {'p25-p75':>12s}")
    for name in settings:
        recall = sum(found[name].values()) / max(1, sum(total.values()))
        cells = " ".join(f"{found[name][b] / max(1, total[b]):17.3f}" for b in BUCKETS)
        q1, med, q3 = np.percentile(times[name], [25, 50, 75])
        spread = f"{q1:.2f}-{q3:.2f}"
        print(f"{name:9s} {recall:7.3f} {cells} {false[name] / len(frames):11.3f} {med:9.2f} {spread:>12s}")


if __name__ == "__main__":
    main()

"""Haar, MTCNN and BlazeFace on the same 640x480 frames with real faces: faces found, false boxes, milliseconds.

The frames are those of ``benchmarks/detector_recall.py`` (imported from it):
scikit-image's sample photos resized to 640x480 with one or two FER2013
PublicTest faces pasted in at known places and sizes (48 to 200 pixels). A
detection finds a face when it overlaps the pasted square with IoU >= 0.3;
every other detection is a false box. Compared:

* ``haar``: fer_sdk's default detector with its default options (``EmotionRecognizer(detector="haar")``);
* ``mtcnn``: ``fer-sdk-mtcnn`` with its defaults (min_size 36, score_threshold 0.9);
* ``mtcnn20``: ``mtcnn`` with ``min_size=20``, its smallest (detection on the full frame);
* ``blazeface``: ``fer-sdk-blazeface`` with its defaults (MediaPipe's short-range BlazeFace on the whole
  frame at three scales, min_size 48, score_threshold 0.62, min_box_ratio 0.8);
* ``blazeface36``: ``blazeface`` with ``min_size=36`` (the finest scale a third larger: slower, more faces);
* ``blazeface24``: ``blazeface`` with ``min_size=24`` (three scales, the finest larger than the frame);
* ``blazeface-fast``: ``blazeface`` with ``min_size=52`` and ``scale_overlap=0.1`` (two scales, the finer
  smaller), the smallest ``min_size`` with a setting that found MTCNN's share of the faces with fewer
  false boxes than Haar in less time on frames of another seed (``benchmarks/experiments/blazeface_defaults.py``);
* ``blazeface-full``: ``blazeface`` with ``model="full"``, MediaPipe's full-range model (fixed 192x192
  input: the whole frame and, for faces under about 50 pixels, six overlapping tiles), the other
  candidate the plugin ships.

A second table counts the faces each detector finds in the example photos
(``examples/images``: the astronaut, Grace Hopper, the two side by side in one
640x480 frame, and the tests' 60-frame clip of the two drifting across a 640x480
frame: 90 faces), against boxes drawn by hand, with the same IoU rule.

``--detectors`` picks some of them, e.g. ``--detectors haar,blazeface``; a detector whose plugin
is not installed is left out with a note.

Each detector runs once on the first frame before timing (TensorFlow graph set-up);
then the detectors take turns on each frame, so that a busy machine slows them alike.

    pip install scikit-image plugins/fer-sdk-mtcnn plugins/fer-sdk-blazeface
    python benchmarks/detector_compare.py --data ../shared/datasets/fer2013 --frames 300
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import cv2
import numpy as np

import fer_sdk
from fer_sdk import Box, Frame
from fer_sdk.datasets import load_image_folders
from fer_sdk.plugins import get_registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detector_recall import BUCKETS, make_frames, match, take_turns  # the same frames and scoring

DETECTORS: dict[str, tuple[str, dict[str, object]]] = {
    "haar": ("haar", {}),
    "mtcnn": ("mtcnn", {}),
    "mtcnn20": ("mtcnn", {"min_size": 20}),
    "blazeface": ("blazeface", {}),
    "blazeface36": ("blazeface", {"min_size": 36}),
    "blazeface24": ("blazeface", {"min_size": 24}),
    "blazeface-fast": ("blazeface", {"min_size": 52, "scale_overlap": 0.1}),
    "blazeface-full": ("blazeface", {"model": "full"}),
}


IMAGES = Path(__file__).resolve().parents[1] / "examples" / "images"
ASTRONAUT_FACE = Box(x=174, y=64, w=99, h=100)  # in astronaut.png
HOPPER_FACE = Box(x=170, y=135, w=195, h=200)  # in grace_hopper.jpg


def _read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return np.asarray(image)


def _scaled(box: Box, sx: float, sy: float, dx: int, dy: int) -> Box:
    return Box(x=round(box.x * sx) + dx, y=round(box.y * sy) + dy, w=round(box.w * sx), h=round(box.h * sy))


def example_sets() -> dict[str, list[tuple[np.ndarray, list[Box]]]]:
    """The example photos, the two-face frame and the 60-frame clip of the tests, with their faces."""
    astronaut, hopper = _read(IMAGES / "astronaut.png"), _read(IMAGES / "grace_hopper.jpg")
    # fer_sdk.testing.two_face_frame (not imported: fer_sdk.testing needs pytest)
    two = np.zeros((480, 640, 3), np.uint8)
    two[80:400, :320] = cv2.resize(astronaut, (320, 320))
    two[80:400, 320:] = cv2.resize(hopper[:560], (320, 350))[:320]
    two_truth = [
        _scaled(ASTRONAUT_FACE, 320 / 512, 320 / 512, 0, 80),
        _scaled(HOPPER_FACE, 320 / 512, 350 / 560, 320, 80),
    ]
    # tests/conftest.py's write_video, 60 frames
    astro, hop = cv2.resize(astronaut, (300, 300)), cv2.resize(hopper[:560], (260, 285))
    clip = []
    for n in range(60):
        i = n % 40
        frame, truth = np.full((480, 640, 3), 60, np.uint8), []
        if i < 30:
            frame[90:390, 10 + 4 * i : 310 + 4 * i] = astro
            truth.append(_scaled(ASTRONAUT_FACE, 300 / 512, 300 / 512, 10 + 4 * i, 90))
        if i < 20:
            frame[150:435, 370:630] = hop
            truth.append(_scaled(HOPPER_FACE, 260 / 512, 285 / 560, 370, 150))
        clip.append((frame, truth))
    return {
        "astronaut.png": [(astronaut, [ASTRONAUT_FACE])],
        "grace_hopper.jpg": [(hopper, [HOPPER_FACE])],
        "two-face frame": [(two, two_truth)],
        "60-frame clip": clip,
    }


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--detectors", default=",".join(DETECTORS), help="comma-separated labels, from: %(default)s")
    args = ap.parse_args()
    registry = get_registry()
    installed = {d["name"] for d in fer_sdk.available_components()["detectors"]}
    chosen = {}
    for label in args.detectors.split(","):
        if label not in DETECTORS:
            raise SystemExit(f"unknown detector label {label!r}; choose from {', '.join(DETECTORS)}")
        if DETECTORS[label][0] in installed:
            chosen[label] = DETECTORS[label]
        else:
            print(f"note: {label} left out: detector {DETECTORS[label][0]!r} is not installed")

    import keras
    import tensorflow as tf

    faces = load_image_folders(args.data, "PublicTest").images[..., 0]
    frames = make_frames(faces, args.frames)
    n_faces = sum(len(t) for _, t in frames)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores")
    print(
        f"versions: fer_sdk {fer_sdk.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, "
        f"opencv {cv2.__version__}, numpy {np.__version__}, mtcnn {_version('mtcnn')}, "
        f"ai-edge-litert {_version('ai-edge-litert')}, fer-sdk-blazeface {_version('fer-sdk-blazeface')}"
    )
    print(f"{len(frames)} frames of 640x480, {n_faces} pasted faces (48-200 px)")
    print()
    head = " | ".join(f"found {lo}-{hi - 1}px" for lo, hi in BUCKETS)
    print(f"| detector | faces found | {head} | false boxes/frame | ms/frame median | ms p10-p90 |")
    print("| --- |" + " ---: |" * (len(BUCKETS) + 4))
    detectors = {label: registry.create("detectors", name, options) for label, (name, options) in chosen.items()}
    for det in detectors.values():
        det.detect(Frame(frames[0][0]))  # warm-up: first-use loading is not timed
    found, total, false, times = take_turns(detectors, frames, shared_frame=False)
    for label in detectors:
        n_found = sum(found[label].values())
        cells = " | ".join(f"{found[label][b] / max(1, total[b]):.1%}" for b in BUCKETS)
        p10, med, p90 = np.percentile(times[label], [10, 50, 90])
        print(
            f"| `{label}` | {n_found}/{n_faces} ({n_found / max(1, n_faces):.1%}) | {cells} | "
            f"{false[label] / len(frames):.2f} | {med:.0f} | {p10:.0f}-{p90:.0f} |"
        )

    sets = example_sets()
    print()
    print("Faces found in the example photos (false boxes in brackets):")
    print()
    heads = [f"{name} ({sum(len(t) for _, t in items)} faces)" for name, items in sets.items()]
    print("| detector | " + " | ".join(heads) + " |")
    print("| --- |" + " ---: |" * len(sets))
    for label, det in detectors.items():
        counts: list[str] = []
        for items in sets.values():
            n_found = n_false = 0
            for image, truth in items:
                hits, extra = match(list(det.detect(Frame(image))), truth)
                n_found, n_false = n_found + len(hits), n_false + extra
            counts.append(f"{n_found} ({n_false})")
        print(f"| `{label}` | " + " | ".join(counts) + " |")


if __name__ == "__main__":
    main()

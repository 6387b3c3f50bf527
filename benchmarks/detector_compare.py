"""Haar against MTCNN on the same 640x480 frames with real faces: faces found, false boxes, milliseconds.

The frames are those of ``benchmarks/detector_recall.py`` (imported from it):
scikit-image's sample photos resized to 640x480 with one or two FER2013
PublicTest faces pasted in at known places and sizes (48 to 200 pixels). A
detection finds a face when it overlaps the pasted square with IoU >= 0.3;
every other detection is a false box. Compared:

* ``haar``: fer_sdk's default detector with its default options (``EmotionRecognizer(detector="haar")``);
* ``mtcnn``: ``fer-sdk-mtcnn`` with its defaults (min_size 36, score_threshold 0.9);
* ``mtcnn20``: ``mtcnn`` with ``min_size=20``, its smallest (detection on the full frame).

Each detector runs once on the first frame before timing (TensorFlow graph set-up);
then the detectors take turns on each frame, so that a busy machine slows them alike.

    pip install scikit-image plugins/fer-sdk-mtcnn
    python benchmarks/detector_compare.py --data ../shared/datasets/fer2013 --frames 300
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from importlib.metadata import version
from pathlib import Path

import cv2
import numpy as np

import fer_sdk
from fer_sdk import Frame
from fer_sdk.plugins import get_registry
from fer_sdk.train.data import load_image_folders

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detector_recall import BUCKETS, make_frames, take_turns  # the same frames and scoring

DETECTORS: dict[str, tuple[str, dict[str, object]]] = {
    "haar": ("haar", {}),
    "mtcnn": ("mtcnn", {}),
    "mtcnn20": ("mtcnn", {"min_size": 20}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()

    import keras
    import tensorflow as tf

    faces = load_image_folders(args.data, "PublicTest").images[..., 0]
    frames = make_frames(faces, args.frames)
    n_faces = sum(len(t) for _, t in frames)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores")
    print(
        f"versions: fer_sdk {fer_sdk.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, "
        f"opencv {cv2.__version__}, numpy {np.__version__}, mtcnn {version('mtcnn')}"
    )
    print(f"{len(frames)} frames of 640x480, {n_faces} pasted faces (48-200 px)")
    print()
    head = " | ".join(f"found {lo}-{hi - 1}px" for lo, hi in BUCKETS)
    print(f"| detector | faces found | {head} | false boxes/frame | ms/frame median | ms p10-p90 |")
    print("| --- |" + " ---: |" * (len(BUCKETS) + 4))
    registry = get_registry()
    detectors = {label: registry.create("detectors", name, options) for label, (name, options) in DETECTORS.items()}
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


if __name__ == "__main__":
    main()

"""Does turning tilted faces upright help? The ``aligned`` preprocessor against the ``standard`` one.

Test set: FER2013 faces (a random sample of ``--split``, seed 0) put back into a
larger picture as ``benchmarks/experiments/margin.py`` does (upscaled 4x to 192 pixels,
centred on a mid-gray 384x384 canvas), then rotated about the face centre by
each angle (positive: counter-clockwise). The ``mtcnn`` detector
(``fer-sdk-mtcnn``) finds the face and its eyes; the largest box is kept. The
same box then goes through

* ``standard``: fer_sdk's standard preprocessor (crop, gray, 48x48, [0, 1]);
* ``aligned``: ``fer-sdk-align``'s preprocessor (rotate about the eye midpoint so
  the eyes are level, then the same crop) with its default ``min_angle=10``: eye
  lines tilted less than 10 degrees, as many FER2013 training faces are, are
  left as they are;
* ``aligned1``: the same with ``min_angle=1``, which rotates nearly every face,

and the bundled classifier (or ``--model DIR``). Reported per angle: how many faces MTCNN found,
the mean absolute eye-line tilt it measured, the accuracy against the FER2013
labels and the agreement with the prediction on the original, upright 48x48
face (both over the faces found at that angle, the same faces for both
preprocessors).

    pip install plugins/fer-sdk-mtcnn plugins/fer-sdk-align
    python benchmarks/experiments/alignment.py --data ../shared/datasets/fer2013 --faces 600
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np

import fer_sdk
from fer_sdk import EmotionRecognizer, Frame
from fer_sdk.builtin.preprocess import StandardPreprocessor
from fer_sdk.datasets import load_image_folders

UPSCALE = 4
PAD = 96
ANGLES = (-30, -15, 0, 15, 30)


def versions() -> str:
    """The versions that matter for these numbers, on one line."""
    from importlib.metadata import version

    import keras
    import tensorflow as tf

    return (
        f"versions: fer_sdk {fer_sdk.__version__}, tensorflow {tf.__version__}, keras {keras.__version__}, "
        f"opencv {cv2.__version__}, numpy {np.__version__}, mtcnn {version('mtcnn')}"
    )


def machine() -> str:
    """CPU and core count, on one line."""
    return f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores"


def tilted(face: np.ndarray, angle: float) -> np.ndarray:
    """One 48x48 face upscaled, centred on a gray canvas and rotated by ``angle`` degrees about its centre."""
    side = 48 * UPSCALE
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    canvas = cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=128)
    if angle == 0:
        return canvas
    centre = ((canvas.shape[1] - 1) / 2.0, (canvas.shape[0] - 1) / 2.0)
    rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(canvas, rot, canvas.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=128)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--split", default="PublicTest")
    ap.add_argument("--faces", type=int, default=600, help="how many faces to sample from the split")
    ap.add_argument("--model", default=None, help="model folder or preset (default: the bundled model)")
    args = ap.parse_args()

    from fer_sdk_align import AlignedPreprocessor, eye_angle
    from fer_sdk_mtcnn import MtcnnDetector

    t0 = time.perf_counter()
    rec = EmotionRecognizer(classifier=args.model or "keras").warmup()
    labels = list(rec.labels)
    ds = load_image_folders(args.data, args.split, labels)
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(len(ds), size=min(args.faces, len(ds)), replace=False))
    faces, y = ds.images[pick, :, :, 0], ds.labels[pick]
    upright = np.argmax(rec.classifier.predict_proba(rec.preprocessor.prepare_crops(list(faces))), axis=1)

    detector = MtcnnDetector(min_size=80)  # faces are about 190 pixels: detect on a small copy
    preprocessors = {
        "standard": StandardPreprocessor(),
        "aligned": AlignedPreprocessor.for_classifier(rec.classifier),
        "aligned1": AlignedPreprocessor.for_classifier(rec.classifier, min_angle=1.0),
    }

    print(machine())
    print(versions())
    print(
        f"{args.split}: {len(faces)} faces sampled (seed 0); upright 48x48 accuracy "
        f"{np.mean(upright == y):.3f}; detector mtcnn(min_size=80), classifier: {args.model or 'bundled'}"
    )
    print()
    print("accuracy (vs FER2013 labels) and agreement (vs the upright prediction) over the faces found:")
    print(
        "| angle | found | mean abs tilt seen | "
        + " | ".join(f"acc {name}" for name in preprocessors)
        + " | "
        + " | ".join(f"agree {name}" for name in preprocessors)
        + " |"
    )
    print("| ---: |" + " ---: |" * (2 + 2 * len(preprocessors)))
    for angle in ANGLES:
        frames, boxes, keep = [], [], []
        for i, face in enumerate(faces):
            frame = Frame(tilted(face, angle))
            found = sorted(detector.detect(frame), key=lambda b: -b.area)
            if found:
                frames.append(frame)
                boxes.append(found[0])
                keep.append(i)
        if not keep:
            print(f"| {angle} | 0 |")
            continue
        tilt = np.mean([abs(eye_angle(b) or 0.0) for b in boxes])
        accs, agrees = [], []
        for pre in preprocessors.values():
            batch = np.concatenate([pre.prepare(f, [b]) for f, b in zip(frames, boxes, strict=True)])
            pred = np.argmax(rec.classifier.predict_proba(batch), axis=1)
            accs.append(f"{np.mean(pred == y[keep]):.3f}")
            agrees.append(f"{np.mean(pred == upright[keep]):.3f}")
        cells = " | ".join([*accs, *agrees])
        print(f"| {angle} | {len(keep)} | {tilt:.1f} | {cells} |", flush=True)
    print(f"\n{time.perf_counter() - t0:.0f} s in all")


if __name__ == "__main__":
    main()

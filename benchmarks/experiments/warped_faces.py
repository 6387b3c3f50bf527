"""How a model takes slightly warped faces: accuracy on PublicTest faces rotated, zoomed or shifted a little.

Training warps every image (random rotation, zoom and shift, bilinear
interpolation), which also blurs it slightly; faces at test time are not
warped. A model that scores better on lightly warped test faces than on the
faces as they are has learnt the look of warped images. This script measures
that: each PublicTest face is warped the way the augmentation warps
(:func:`fer_sdk.train.augment.warp`, fixed parameters), rounded back to uint8
like any image, and classified through ``EmotionRecognizer.classify`` in
float32; each view's accuracy is printed alone and averaged with its mirror
image (flip test-time augmentation).

    python benchmarks/experiments/warped_faces.py --data ../shared/datasets/fer2013 [--model DIR ...]

Several ``--model`` values are measured one after the other (default: the
bundled model).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fer_sdk import EmotionRecognizer
from fer_sdk.datasets import Dataset, load_split
from fer_sdk.evaluation import predict_probs  # what fer-sdk evaluate classifies with
from fer_sdk.train.augment import warp

#: (name, rotation in degrees, zoom, shift (x, y) in pixels)
VIEWS: tuple[tuple[str, float, float, tuple[float, float]], ...] = (
    ("as they are", 0.0, 1.0, (0.0, 0.0)),
    ("shifted 1/4 pixel", 0.0, 1.0, (0.25, 0.25)),
    ("shifted 1/2 pixel", 0.0, 1.0, (0.5, 0.5)),
    ("shifted 2 pixels right", 0.0, 1.0, (2.0, 0.0)),
    ("shifted 2 pixels down", 0.0, 1.0, (0.0, 2.0)),
    ("zoomed out 10%", 0.0, 0.9, (0.0, 0.0)),
    ("zoomed in 10%", 0.0, 1.1, (0.0, 0.0)),
    ("rotated -6 degrees", -6.0, 1.0, (0.0, 0.0)),
    ("rotated 6 degrees", 6.0, 1.0, (0.0, 0.0)),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--split", default="PublicTest")
    ap.add_argument("--model", action="append", default=None, help="model folder or preset (repeatable)")
    args = ap.parse_args()
    models = args.model or ["fernet_fer7"]
    print(f"{args.split} of {args.data}; float32; accuracy of each view alone / averaged with its mirror image")
    print("| view | " + " | ".join(models) + " |")
    print("| --- |" + " --- |" * len(models))
    rows: dict[str, list[str]] = {name: [] for name, *_ in VIEWS}
    splits: dict[tuple[str, ...], Dataset] = {}  # read once for all models with the same labels
    for model in models:
        rec = EmotionRecognizer(classifier=model, classifier_options={"precision": "float32"})
        if rec.labels not in splits:
            splits[rec.labels] = load_split(args.data, args.split, list(rec.labels))
        ds = splits[rec.labels]
        faces = ds.images.astype(np.float32) / 255.0  # (n, 48, 48, 1)
        for name, rotation, zoom, shift in VIEWS:
            view = np.asarray(warp(faces, rotation=rotation, zoom=zoom, shift=shift))
            view = np.clip(np.rint(view * 255.0), 0, 255).astype(np.uint8)[..., 0]
            plain = predict_probs(rec, view, 256)
            mirrored = predict_probs(rec, view[:, :, ::-1], 256)
            acc = float(np.mean(plain.argmax(1) == ds.labels))
            acc_flip = float(np.mean((plain + mirrored).argmax(1) == ds.labels))
            rows[name].append(f"{acc:.1%} / {acc_flip:.1%}")
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

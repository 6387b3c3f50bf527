"""Retrain the emotion classifier on a small sample of FER2013, then use the new model.

    python examples/retrain.py --data ../shared/datasets/fer2013 --out runs/tutorial
    python examples/retrain.py --out runs/tutorial   # no data set: generated stand-ins

A quick, end-to-end run of :mod:`fer_sdk.train` (about a minute on a laptop CPU):
it copies ``--per-class`` images of each emotion from the ``Training`` and
``PublicTest`` folders of the FER2013 image-folder release into a small data set,
trains the ``fernet`` network on it for ``--epochs`` epochs and loads the
resulting model folder with ``EmotionRecognizer(classifier=OUT)``. Without
``--data`` it generates stand-in images instead (the pipeline runs, the model
learns nothing useful). A model worth using needs the full data set and the
recipe: see the tutorial "Retrain the classifier".
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np

from fer_sdk import FER7, EmotionRecognizer
from fer_sdk.train import TrainConfig, train

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"
SPLITS = {
    "Training": 1.0,
    "PublicTest": 0.25,
}  # split name -> share of --per-class it gets


def sample_fer2013(source: Path, dest: Path, per_class: int) -> None:
    """Copy the first ``per_class`` images of each emotion (a quarter for PublicTest).

    Args:
        source: the FER2013 image-folder release (``<split>/<emotion>/*.jpg``).
        dest: where the smaller copy is written, in the same layout.
        per_class: training images per emotion.
    """
    for split, share in SPLITS.items():
        for emotion in FER7:
            files = sorted((source / split / emotion).glob("*.jpg"))[
                : max(1, round(per_class * share))
            ]
            if not files:
                raise SystemExit(
                    f"no images in {source / split / emotion}: "
                    f"is {source} the FER2013 image folders?"
                )
            (dest / split / emotion).mkdir(parents=True, exist_ok=True)
            for f in files:
                shutil.copyfile(f, dest / split / emotion / f.name)


def generate_standins(dest: Path, per_class: int, seed: int = 0) -> None:
    """Write 48x48 gray noise images, one brightness per emotion, in the FER2013 layout.

    Args:
        dest: the folder to fill (``<split>/<emotion>/*.png``).
        per_class: training images per emotion.
        seed: random seed, so runs are repeatable.
    """
    rng = np.random.default_rng(seed)
    for split, share in SPLITS.items():
        for k, emotion in enumerate(FER7):
            folder = dest / split / emotion
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(max(1, round(per_class * share))):
                img = rng.integers(0, 60, (48, 48), dtype=np.uint8) + np.uint8(30 * k)
                cv2.imwrite(str(folder / f"{i}.png"), img)


def main(argv: list[str] | None = None) -> int:
    """Build the small data set, train, and predict with the new model."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data",
        type=Path,
        help="FER2013 image-folder release (default: generated stand-ins)",
    )
    ap.add_argument(
        "--out", type=Path, default=Path("runs/tutorial"), help="model folder to write"
    )
    ap.add_argument(
        "--per-class", type=int, default=40, help="training images per emotion"
    )
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args(argv)

    # 1. A small data set in the FER2013 layout: Training/<emotion>/*,
    #    PublicTest/<emotion>/*.
    data = args.out.parent / f"{args.out.name}-data"
    shutil.rmtree(data, ignore_errors=True)
    if args.data is not None:
        sample_fer2013(args.data, data, args.per_class)
    else:
        generate_standins(data, args.per_class)

    # 2. Train. Every field of TrainConfig is also a flag of `fer-sdk train`.
    config = TrainConfig(
        data=data,  # train_split="Training", val_split="PublicTest" are the defaults
        out=args.out,
        arch="fernet",  # the bundled model's architecture
        labels="fer7",
        epochs=args.epochs,
        batch_size=32,
        warmup_epochs=0,
        # mixed_float16 on a GPU, mixed_bfloat16 on CPUs with bf16 units, else float32
        precision="auto",
    )
    report = train(config)
    print(
        f"trained {report.epochs_run} epoch(s) on {report.train_images} images "
        f"in {report.precision}"
    )
    print(
        f"validation accuracy: {report.best_val_accuracy:.3f} "
        f"on {report.val_images} images"
    )
    print(f"model folder: {report.out}")

    # 3. Use the new model: pass its folder as the classifier.
    recognizer = EmotionRecognizer(classifier=str(args.out))
    print(f"labels: {', '.join(recognizer.labels)}")
    faces = recognizer.predict(cv2.imread(str(IMAGE)))
    for face in faces:
        print(f"astronaut: {face.emotion} ({face.confidence:.2f}) with the new model")
    return 0


if __name__ == "__main__":
    sys.exit(main())

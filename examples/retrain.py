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

from fer_sdk import DatasetError, EmotionRecognizer
from fer_sdk.train import TrainConfig, train
from fer_sdk.train.sample import sample_fer2013, standin_fer2013

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"


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
    #    A quarter of --per-class goes to PublicTest (fer_sdk.train.sample).
    if args.data is not None:
        try:
            sample_fer2013(args.data, data, args.per_class)
        except DatasetError as exc:
            raise SystemExit(str(exc)) from None
    else:
        standin_fer2013(data, args.per_class)

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

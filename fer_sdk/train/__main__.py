"""``python -m fer_sdk.train``: train a classifier from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fer_sdk.labels import SCHEMES
from fer_sdk.train.config import TrainConfig


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options shared by ``python -m fer_sdk.train`` and ``fer-sdk train``."""
    parser.add_argument("--config", type=Path, metavar="FILE", help="YAML or JSON file with TrainConfig fields")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="fer2013.csv, image-folder release, class folders, FER+ folders or fer2013new.csv",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder (default runs/fernet)")
    parser.add_argument("--arch", metavar="NAME", help="architecture name (fernet, seed, ...)")
    parser.add_argument("--labels", help="fer7, fer6, ferplus8, or comma-separated class names")
    parser.add_argument(
        "--label-mode",
        dest="label_mode",
        choices=["majority", "probability", "crossentropy"],
        help="FER+ data: how the ten votes become targets (default crossentropy: the vote distribution)",
    )
    parser.add_argument(
        "--fer2013-weight",
        dest="fer2013_weight",
        type=float,
        metavar="X",
        help="FER+ data: share of the FER2013 label (0-1)",
    )
    parser.add_argument(
        "--fer2013-csv",
        dest="fer2013_csv",
        type=Path,
        metavar="FILE",
        help="with --data fer2013new.csv: Kaggle's fer2013.csv",
    )
    parser.add_argument("--epochs", type=int, metavar="N", help="number of epochs")
    parser.add_argument("--batch-size", type=int, dest="batch_size", metavar="N", help="batch size")
    parser.add_argument("--learning-rate", type=float, dest="learning_rate", metavar="X", help="peak learning rate")
    parser.add_argument(
        "--train-split", dest="train_split", metavar="NAME", help="split to train on ('none' for class folders)"
    )
    parser.add_argument("--val-split", dest="val_split", metavar="NAME", help="validation split ('none' to skip)")
    parser.add_argument("--val-data", type=Path, dest="val_data", metavar="DIR", help="separate validation folder")
    parser.add_argument(
        "--class-weight", choices=["none", "balanced", "sqrt"], dest="class_weight", help="class weights in the loss"
    )
    parser.add_argument(
        "--sampling", choices=["shuffle", "balanced", "sqrt"], help="draw rare classes more often (default shuffle)"
    )
    parser.add_argument(
        "--logit-adjustment",
        dest="logit_adjustment",
        type=float,
        metavar="TAU",
        help="tau of the logit-adjusted loss (0: off)",
    )
    parser.add_argument(
        "--precision",
        choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"],
        help="auto: mixed_bfloat16 on CPUs with bf16 units, mixed_float16 on GPUs, float32 otherwise",
    )
    parser.add_argument(
        "--distribute",
        choices=["auto", "none", "mirrored", "multi_worker"],
        help="tf.distribute strategy (see the distributed-training how-to)",
    )
    parser.add_argument("--xla", action="store_true", default=None, help="compile with XLA")
    parser.add_argument("--patience", type=int, metavar="N", help="early stopping patience (0: off)")
    parser.add_argument("--seed", type=int, metavar="N", help="random seed")
    parser.add_argument("--no-augment", action="store_true", help="turn augmentation off")
    parser.add_argument(
        "--on-error",
        choices=["skip", "raise"],
        dest="on_error",
        help="skip bad rows and files with a warning, or raise on the first",
    )
    parser.add_argument("--margin", type=float, metavar="X", help="crop margin recorded in the model metadata")
    parser.add_argument("--resume", action="store_true", default=None, help="continue from OUT/checkpoints")
    parser.add_argument(
        "--init-from",
        dest="init_from",
        metavar="MODEL",
        help="start from a trained model's weights (bundled preset, model folder or .keras file)",
    )
    parser.add_argument(
        "--average-of",
        dest="average_of",
        nargs="+",
        metavar="MODEL",
        help="instead of training, average these trained models' weights (two or more)",
    )
    parser.add_argument(
        "--teacher",
        nargs="+",
        metavar="MODEL",
        help="distil: mix these trained models' averaged probabilities into the training targets",
    )
    parser.add_argument(
        "--teacher-weight", dest="teacher_weight", type=float, metavar="W", help="share of the teacher (0-1]"
    )
    parser.add_argument(
        "--ensemble-of",
        dest="ensemble_of",
        nargs="+",
        metavar="MODEL",
        help="instead of training, build one model averaging these trained models' predictions (two or more)",
    )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Build a :class:`TrainConfig` from parsed arguments (a config file first, flags over it)."""
    overrides: dict[str, Any] = {}
    for key in (
        "data",
        "out",
        "arch",
        "epochs",
        "batch_size",
        "learning_rate",
        "val_data",
        "class_weight",
        "label_mode",
        "fer2013_weight",
        "fer2013_csv",
        "sampling",
        "logit_adjustment",
        "precision",
        "distribute",
        "xla",
        "patience",
        "seed",
        "on_error",
        "resume",
        "margin",
        "init_from",
        "average_of",
        "ensemble_of",
        "teacher",
        "teacher_weight",
    ):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    if args.labels:
        overrides["labels"] = args.labels if args.labels in SCHEMES else args.labels.split(",")
    for key in ("train_split", "val_split"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = None if value.lower() == "none" else value
    if args.no_augment:
        overrides["augment"] = {"enabled": False}
    if args.config is not None:
        return TrainConfig.from_file(args.config, **overrides)
    return TrainConfig.model_validate(overrides)


def run(args: argparse.Namespace) -> int:
    """Train as the parsed arguments say and print where the model went."""
    from fer_sdk.train.loop import train

    report = train(config_from_args(args))
    print(f"model: {report.model_path}")
    if report.best_epoch is not None:
        print(f"best epoch {report.best_epoch}: validation accuracy {report.best_val_accuracy}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m fer_sdk.train``."""
    parser = argparse.ArgumentParser(prog="python -m fer_sdk.train", description="Train an emotion classifier.")
    add_train_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

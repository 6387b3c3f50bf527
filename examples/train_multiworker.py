"""Multi-worker training on one machine: two worker processes talking over loopback.

The same program runs on every machine of a real cluster; here both workers are local
processes. The launcher picks two free ports, gives each worker its own ``TF_CONFIG``
(same ``cluster``, its own ``task``), starts them, waits (with a timeout), then checks
that both took the same number of optimizer steps, that their final weights are
identical, and that the chief's output folder loads as an SDK classifier.

Run from the repository root (without ``--data`` it trains on a few hundred synthetic
48x48 images written to a temporary folder):

    python examples/train_multiworker.py [--data CLASS_FOLDERS]
        [--val-data CLASS_FOLDERS] [--out OUT_DIR] [--epochs 2] [--resume]
        [--timeout 300]

It exits with 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

LABELS = ["happy", "sad", "surprise"]
NOISE = (
    "WARNING: All log messages before absl",
    "I0000 ",
    "W0000 ",
)  # TensorFlow start-up chatter


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``workers`` (host:port)."""
    return json.dumps(
        {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
    )


def make_faces(root: Path, per_class: int, seed: int) -> Path:
    """Write ``per_class`` synthetic 48x48 images per label into ``root/<label>/``."""
    rng = np.random.default_rng(seed)
    for k, name in enumerate(LABELS):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = rng.normal(60 + 60 * k, 25, (48, 48))
            img[:, (8 + 12 * k) : (16 + 12 * k)] += 60  # a class-specific stripe
            cv2.imwrite(
                str(folder / f"{i:04d}.png"), np.clip(img, 0, 255).astype(np.uint8)
            )
    return root


def tiny_arch(input_shape: tuple[int, int, int], n_classes: int) -> Any:
    """A small CNN (with batch normalisation) that trains in seconds on a CPU."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="face")
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(
        inputs,
        layers.Activation("softmax", dtype="float32", name="probs")(x),
        name="tiny",
    )


def run_worker(args: argparse.Namespace) -> int:
    """One worker: TF_CONFIG is in the environment; train, then save the report for the
    launcher."""
    from fer_sdk.train import TrainConfig, train
    from fer_sdk.train.archs import ARCHS, register_arch

    if "tiny" not in ARCHS:
        register_arch("tiny")(
            tiny_arch
        )  # this process only: the library's registry is not changed
    cfg = TrainConfig(
        data=args.data,
        train_split=None,
        val_split=None,
        val_data=args.val_data,
        labels=LABELS,
        arch="tiny",
        epochs=args.epochs,
        batch_size=32,  # the global batch: 16 per worker
        learning_rate=5e-3,
        warmup_epochs=0,
        out=args.out,
        precision="float32",
        distribute="multi_worker",
        resume=args.resume,
    )
    report = train(cfg)
    args.report.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return 0


def forward(proc: subprocess.Popen[str]) -> None:
    """Print a worker's output as it comes (without TensorFlow's start-up chatter)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if not line.startswith(NOISE):
            print(line, end="", flush=True)


def launch(args: argparse.Namespace) -> int:
    """Start two workers on loopback, wait for both, check what they did."""
    tmp = Path(tempfile.mkdtemp(prefix="fer_sdk-multiworker-"))
    try:
        return launch_in(tmp, args)
    finally:
        shutil.rmtree(
            tmp, ignore_errors=True
        )  # synthetic data, reports, and the model unless --out was given


def launch_in(tmp: Path, args: argparse.Namespace) -> int:
    """:func:`launch` with a scratch folder ``tmp``."""
    from fer_sdk import EmotionRecognizer

    if args.data is None:
        args.data = make_faces(tmp / "train", per_class=100, seed=0)
        args.val_data = make_faces(tmp / "val", per_class=20, seed=1)
        print(f"synthetic data: {tmp}", flush=True)
    out = args.out or tmp / "out"
    workers = [f"localhost:{free_port()}", f"localhost:{free_port()}"]
    print(f"cluster: {workers}", flush=True)

    procs: list[subprocess.Popen[str]] = []
    for index in range(len(workers)):
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            "--data",
            str(args.data),
            "--out",
            str(out),
        ]
        cmd += [
            "--epochs",
            str(args.epochs),
            "--report",
            str(tmp / f"report-{index}.json"),
        ]
        cmd += ["--resume"] if args.resume else []
        if args.val_data is not None:
            cmd += ["--val-data", str(args.val_data)]
        env = {
            **os.environ,
            "TF_CONFIG": tf_config(workers, index),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        threading.Thread(target=forward, args=(proc,), daemon=True).start()
        procs.append(proc)

    # wait for both; a worker that fails leaves the other waiting on its collectives,
    # so stop it
    deadline = time.monotonic() + args.timeout
    try:
        while any(p.poll() is None for p in procs):
            failed = any(p.poll() not in (None, 0) for p in procs)
            if failed or time.monotonic() > deadline:
                print(
                    "a worker failed"
                    if failed
                    else f"timed out after {args.timeout} s",
                    flush=True,
                )
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    codes = [p.wait() for p in procs]
    time.sleep(0.2)  # let the output threads finish printing
    if any(codes):
        print(f"FAILED: worker exit codes {codes}", flush=True)
        return 1

    reports = [
        json.loads((tmp / f"report-{i}.json").read_text(encoding="utf-8"))
        for i in range(len(workers))
    ]
    steps = [r["steps"] for r in reports]
    digests = [r["weights_sha256"] for r in reports]
    same_steps = len(set(steps)) == 1 and steps[0] > 0
    same_weights = len(set(digests)) == 1 and digests[0] is not None
    print(f"steps per worker: {steps} -> {'same' if same_steps else 'DIFFERENT'}")
    print(
        f"final weights sha256: {[d[:16] for d in digests]} -> "
        f"{'identical' if same_weights else 'DIFFERENT'}"
    )

    recognizer = EmotionRecognizer(classifier=str(out))
    probs = recognizer.classify([np.full((48, 48), 180, np.uint8)])[0]
    loads = recognizer.labels == tuple(LABELS)
    print(
        f"chief output {out} loads: {loads}; labels {recognizer.labels}; "
        f"one prediction: {probs.emotion}"
    )
    last = reports[0]["history"][-1]
    print(
        f"last epoch: loss {last['loss']:.4f} accuracy {last['accuracy']:.4f} "
        f"val_accuracy {last['val_accuracy']}"
    )
    if not (same_steps and same_weights and loads):
        print("FAILED", flush=True)
        return 1
    print("OK: two workers trained one model in sync")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, help="training class folders (default: synthetic images)"
    )
    parser.add_argument("--val-data", type=Path, help="validation class folders")
    parser.add_argument(
        "--out",
        type=Path,
        help="the chief's output folder (default: a temporary folder)",
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT_DIR/checkpoints"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds before the workers are killed",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return run_worker(args) if args.worker else launch(args)


if __name__ == "__main__":
    sys.exit(main())

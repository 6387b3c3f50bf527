"""Training throughput (images/s, projected seconds per FER2013 epoch) per architecture and precision.

Runs a few real training steps (augmentation included) on random 48x48 images
in a fresh process per setting and prints a table.

    python benchmarks/train_speed.py --arch fernet seed --precision float32 mixed_bfloat16
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time

TRAIN_IMAGES = 28_707


def one(arch: str, precision: str, steps: int, batch: int) -> dict[str, float]:
    import keras
    import numpy as np

    from fer_sdk.datasets import Dataset
    from fer_sdk.train.archs import build
    from fer_sdk.train.config import TrainConfig
    from fer_sdk.train.objective import compile_model
    from fer_sdk.train.pipeline import make_dataset

    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy(precision)
    n = batch * (steps + 3)
    rng = np.random.default_rng(0)
    ds = Dataset(
        rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8), rng.integers(0, 7, n).astype(np.int32), tuple("abcdefg")
    )
    cfg = TrainConfig(data=".", batch_size=batch, arch=arch, epochs=1)
    data = make_dataset(ds, cfg, training=True)
    model = build(arch, (48, 48, 1), 7)
    compile_model(model, cfg, steps + 3)
    it = iter(data.repeat())
    for _ in range(3):  # warm up, trace
        model.train_on_batch(*next(it))
    t0 = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(*next(it))
    dt = time.perf_counter() - t0
    ips = steps * batch / dt
    return {"images_per_second": ips, "seconds_per_epoch": TRAIN_IMAGES / ips, "params": model.count_params()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", nargs="+", default=["fernet", "seed"])
    ap.add_argument("--precision", nargs="+", default=["float32", "mixed_bfloat16"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one(args.child[0], args.child[1], args.steps, args.batch)))
        return
    print(f"machine: {platform.machine()} {platform.processor()}, python {platform.python_version()}")
    print(f"{'arch':8} {'precision':15} {'params':>9} {'img/s':>8} {'s/epoch':>8}")
    for arch in args.arch:
        for precision in args.precision:
            cmd = [
                sys.executable,
                __file__,
                "--child",
                arch,
                precision,
                "--steps",
                str(args.steps),
                "--batch",
                str(args.batch),
            ]
            res = json.loads(
                subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            )
            ips, spe = res["images_per_second"], res["seconds_per_epoch"]
            print(f"{arch:8} {precision:15} {res['params']:9d} {ips:8.0f} {spe:8.1f}")


if __name__ == "__main__":
    main()

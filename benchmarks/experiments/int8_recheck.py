"""Why ``litert`` reruns close calls in float32, with which margin, and on which CPUs it runs int8 first.

For the bundled model's two LiteRT files (``model.tflite``, float32, and
``model_int8.tflite``, int8 weights), on FER2013 faces (the first 6,000 of
Training, and PublicTest): how many faces int8 gives another top label, the
largest difference between the two files' probabilities, and for a few margins
the share of faces whose two best int8 scores are closer (rerun in float32) and
the label changes such a rerun would still miss. Then the time of one forward
pass on one face in each file (median of 2,000, two threads), and whether
``cpu_has_int8_dot`` finds int8 dot-product instructions on this CPU.

    python benchmarks/experiments/int8_recheck.py --data ../shared/datasets/fer2013
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from fer_sdk.builtin.litert import LiteRTClassifier, cpu_has_int8_dot
from fer_sdk.datasets import load_split

MARGINS = (0.02, 0.05, 0.1, 0.15, 0.2)


def one_face_ms(clf: LiteRTClassifier, face: np.ndarray, runs: int = 2000) -> float:
    """Median milliseconds of ``predict_proba`` on one face."""
    for _ in range(200):
        clf.predict_proba(face)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        clf.predict_proba(face)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    args = ap.parse_args()
    float32 = LiteRTClassifier(int8=False, threads=2)
    int8 = LiteRTClassifier(int8=True, recheck_margin=0.0, threads=2)  # int8 alone
    for name, split, limit in (("Training[:6000]", "Training", 6000), ("PublicTest", "PublicTest", None)):
        faces = load_split(args.data, split).images[:limit].astype(np.float32) / 255.0
        p32, p8 = float32.predict_proba(faces), int8.predict_proba(faces)
        best_two = np.sort(p8, axis=1)[:, -2:]
        margin = best_two[:, 1] - best_two[:, 0]
        changed = p8.argmax(1) != p32.argmax(1)
        print(
            f"{name}: {len(faces)} faces, int8 changes the top label of {int(changed.sum())}, "
            f"largest probability difference {np.abs(p8 - p32).max():.3f}"
        )
        for m in MARGINS:
            close = margin < m
            missed = int((changed & ~close).sum())
            print(f"  recheck_margin {m}: {close.mean():.1%} rerun in float32, changes missed {missed}")
    face = np.zeros((1, 48, 48, 1), np.float32) + 0.5
    print(f"one forward pass, one face, 2 threads: float32 {one_face_ms(float32, face):.2f} ms, "
          f"int8 {one_face_ms(int8, face):.2f} ms; cpu_has_int8_dot: {cpu_has_int8_dot()}")  # fmt: skip


if __name__ == "__main__":
    main()

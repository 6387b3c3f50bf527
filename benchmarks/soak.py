"""Long-run soak: memory, file handles and threads over many video-like frames.

A 640x480 "video" is generated from the public-domain photos in examples/images:
the faces drift across the frame, with sensor noise and a no-face stretch every
so often. The recognizer processes every frame; the resident memory (RSS), open
file descriptors and threads are printed every ``--every`` frames, then the
growth after warm-up and the peak RSS.

    python benchmarks/soak.py --frames 10000
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from fer_sdk import EmotionRecognizer

ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@functools.cache
def faces() -> tuple[np.ndarray, np.ndarray]:
    """The two portraits the video shows, read once, at their sizes in it."""
    astro, hopper = (cv2.imread(str(ROOT / "examples/images" / name)) for name in ("astronaut.png", "grace_hopper.jpg"))
    assert astro is not None and hopper is not None, "examples/images is incomplete"
    return cv2.resize(astro, (300, 300)), cv2.resize(hopper[:560], (260, 285))


def video(n: int) -> np.ndarray:
    """Frame ``n`` of the synthetic video."""
    astro, hopper = faces()
    frame = np.full((480, 640, 3), 70, np.uint8)
    phase = n % 400
    if phase < 350:  # faces in view; then 50 frames without a face
        x = 20 + (phase * 2) % 300
        frame[90:390, x // 2 : x // 2 + 300] = astro
        if phase % 100 < 70:
            frame[150:435, 360:620] = hopper
    noise = np.random.default_rng(n).integers(-6, 7, frame.shape, dtype=np.int16)
    return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=1_000)
    ap.add_argument("--warmup", type=int, default=200)
    args = ap.parse_args()

    rec = EmotionRecognizer().warmup()
    for i in range(args.warmup):
        rec.predict(video(i))
    base_rss, base_fds, base_threads = rss_mib(), len(os.listdir("/proc/self/fd")), threading.active_count()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {args.frames} frames of 640x480 after {args.warmup}")
    print(f"{'frames':>7s} {'RSS MiB':>8s} {'fds':>5s} {'threads':>8s} {'faces':>7s} {'fps':>6s}")
    print(f"{0:7d} {base_rss:8.1f} {base_fds:5d} {base_threads:8d} {'':>7s} {'':>6s}")
    faces = 0
    t0 = time.perf_counter()
    for i in range(1, args.frames + 1):
        faces += len(rec.predict(video(args.warmup + i)))
        if i % args.every == 0:
            fps = i / (time.perf_counter() - t0)
            fds = len(os.listdir("/proc/self/fd"))
            print(f"{i:7d} {rss_mib():8.1f} {fds:5d} {threading.active_count():8d} {faces:7d} {fps:6.1f}")
    growth = rss_mib() - base_rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS growth after warm-up: {growth:+.1f} MiB over {args.frames} frames; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()

"""Inference speed of fer_sdk on this machine: cold start, per-frame latency, classifier throughput.

Frames are real photos (the public-domain portraits in examples/images) placed on
640x480 frames with one or two faces. Each figure is the median over repeated
runs, with the 10th-90th percentile spread.

    python benchmarks/inference_speed.py [--repeat 50] [--classifier keras|litert-int8]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from classifier_runtimes import classifier_spec

ROOT = Path(__file__).resolve().parents[1]


def frames() -> dict[str, np.ndarray]:
    astro = cv2.imread(str(ROOT / "examples/images/astronaut.png"))
    hopper = cv2.imread(str(ROOT / "examples/images/grace_hopper.jpg"))
    assert astro is not None and hopper is not None, "examples/images is incomplete"
    one = np.full((480, 640, 3), 90, np.uint8)
    one[:, 64:576] = cv2.resize(astro, (512, 480))
    two = np.zeros((480, 640, 3), np.uint8)
    two[80:400, :320] = cv2.resize(astro, (320, 320))
    two[80:400, 320:] = cv2.resize(hopper[:560], (320, 350))[:320]
    return {"640x480, 1 face": one, "640x480, 2 faces": two}


def timeit(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median, 10th and 90th percentile of ``repeat`` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(times, n=10)
    return statistics.median(times), q[0], q[-1]


def cold_start(classifier: str) -> tuple[float, float]:
    name, options = classifier_spec(classifier)
    code = (
        "import time; t0 = time.perf_counter(); import fer_sdk; t1 = time.perf_counter();"
        "import cv2; img = cv2.imread('examples/images/astronaut.png'); t2 = time.perf_counter();"
        f"fer_sdk.EmotionRecognizer(classifier={name!r}, classifier_options={options!r}).predict(img);"
        "t3 = time.perf_counter();"
        "print(t1 - t0, t3 - t2)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    imp, first = (float(x) for x in out.stdout.split())
    return imp, first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument(
        "--classifier", default="auto", help="auto (the default: litert without a GPU), keras, litert-int8 (plugin)"
    )
    args = ap.parse_args()

    from importlib.metadata import PackageNotFoundError, version

    import fer_sdk

    def installed(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "-"

    imp, first = cold_start(args.classifier)
    name, options = classifier_spec(args.classifier)
    rec = fer_sdk.EmotionRecognizer(classifier=name, classifier_options=options).warmup()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores")
    print(
        f"versions: fer_sdk {fer_sdk.__version__}, ai-edge-litert {installed('ai-edge-litert')}, "
        f"tensorflow {installed('tensorflow')}, keras {installed('keras')}, opencv {cv2.__version__}, "
        f"numpy {np.__version__}"
    )
    print(f"recognizer: {rec!r}")
    print(f"cold start: import fer_sdk {imp * 1000:.0f} ms; construction to first result {first * 1000:.0f} ms")
    print()
    print(f"{'what':38s} {'median ms':>10s} {'p10-p90 ms':>14s} {'per second':>11s}")
    for name, frame in frames().items():
        n = len(rec.predict(frame))
        med, lo, hi = timeit(functools.partial(rec.predict, frame), args.repeat)
        print(f"{'predict ' + name + f' ({n} found)':38s} {med:10.2f} {f'{lo:.2f}-{hi:.2f}':>14s} {1000 / med:11.1f}")
        med, lo, hi = timeit(functools.partial(rec.detect, frame), args.repeat)
        print(f"{'  of which detection':38s} {med:10.2f} {f'{lo:.2f}-{hi:.2f}':>14s}")
    clip = [frames()["640x480, 2 faces"] if i % 2 else frames()["640x480, 1 face"] for i in range(2)]
    with tempfile.TemporaryDirectory() as tmp:
        # a 30 fps video file: the faces move 3 px a frame, the scene changes every 50 frames
        path = Path(tmp) / "clip.mp4"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480))
        for i in range(300):
            writer.write(np.roll(clip[(i // 50) % 2], 3 * (i % 50), axis=1))
        writer.release()
        for every in (1, 5):
            t0 = time.perf_counter()
            n = sum(1 for _ in rec.stream(path, smoothing="ema", detect_every=every))
            fps = n / (time.perf_counter() - t0)
            label = f"stream mp4, 300 frames, detect_every={every}"
            print(f"{label:38s} {1000 / fps:10.2f} {'':>14s} {fps:11.1f}")
    crop = [np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)]
    med, lo, hi = timeit(lambda: rec.classify(crop), args.repeat)
    print(f"{'classify 1 crop':38s} {med:10.2f} {f'{lo:.2f}-{hi:.2f}':>14s} {1000 / med:11.1f}")
    batch = np.random.default_rng(1).integers(0, 256, (256, 48, 48), dtype=np.uint8)
    med, lo, hi = timeit(lambda: rec.classify(batch), max(5, args.repeat // 5))
    print(f"{'classify 256 crops (crops/s)':38s} {med:10.2f} {f'{lo:.2f}-{hi:.2f}':>14s} {256_000 / med:11.1f}")


if __name__ == "__main__":
    main()

"""One recognizer shared by a pool of worker threads, as in a web service.

    python examples/threads.py [--workers 8] [--frames 64]

Builds the recognizer once, warms it up, then sends frames through a thread pool
and checks that the results equal those of sequential calls.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fer_sdk import EmotionRecognizer

IMAGES = Path(__file__).resolve().parent / "images"

recognizer = EmotionRecognizer().warmup()  # once, at start-up: loads the weights


def handle(frame: np.ndarray) -> list[dict[str, Any]]:
    """What a request handler does: called from any worker thread, with a frame."""
    return [face.model_dump() for face in recognizer.predict(frame)]


def main(argv: list[str] | None = None) -> int:
    """Run ``--frames`` frames through ``--workers`` threads; compare: sequential."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--frames", type=int, default=64)
    args = ap.parse_args(argv)

    photos = [
        cv2.imread(str(IMAGES / "astronaut.png")),
        cv2.imread(str(IMAGES / "grace_hopper.jpg")),
    ]
    frames = [photos[i % 2] for i in range(args.frames)]

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(handle, frames))

    expected = [handle(photo) for photo in photos]
    same = all(result == expected[i % 2] for i, result in enumerate(results))
    emotions = sorted({face["emotion"] for result in results for face in result})
    print(
        f"{len(results)} frames on {args.workers} threads; "
        f"emotions seen: {', '.join(emotions)}"
    )
    print("same as sequential calls: " + ("yes" if same else "NO"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Make the tutorials' sample video from the two example photos: no download, no camera.

    python examples/make_clip.py clip.mp4 [--frames 40] [--fps 10]

A 640x480 clip of 4 seconds: the astronaut's face drifts right on the left half
for 3 seconds; Grace Hopper stays on the right half for the first 2 seconds; the
last second shows no face.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

IMAGES = Path(__file__).resolve().parent / "images"


def write_clip(
    path: str | Path,
    astronaut: np.ndarray,
    hopper: np.ndarray,
    frames: int = 40,
    fps: float = 10.0,
) -> Path:
    """Write the clip to ``path`` (mp4). Longer clips repeat the 40-frame pattern."""
    astro = cv2.resize(astronaut, (300, 300))
    hop = cv2.resize(hopper[:560], (260, 285))
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (640, 480)
    )
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    for n in range(frames):
        i = n % 40
        frame = np.full((480, 640, 3), 60, np.uint8)
        if i < 30:
            x = 10 + 4 * i
            frame[90:390, x : x + 300] = astro
        if i < 20:
            frame[150:435, 370:630] = hop
        writer.write(frame)
    writer.release()
    return Path(path)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", help="the video to write, e.g. clip.mp4")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--fps", type=float, default=10.0)
    args = ap.parse_args()
    astronaut = cv2.imread(str(IMAGES / "astronaut.png"))
    hopper = cv2.imread(str(IMAGES / "grace_hopper.jpg"))
    path = write_clip(args.out, astronaut, hopper, args.frames, args.fps)
    print(f"wrote {path}: {args.frames} frames of 640x480 at {args.fps:g} fps")


if __name__ == "__main__":
    main()

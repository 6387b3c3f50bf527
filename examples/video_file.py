"""Emotions in a video file, frame by frame, with stable face tracks and smoothing.

    python examples/video_file.py VIDEO [--every 2] [--smoothing ema]

Prints one line per processed frame and, at the end, each track's most frequent emotion.
"""

from __future__ import annotations

import argparse
from collections import Counter

from fer_sdk import EmotionRecognizer


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("video")
    ap.add_argument("--every", type=int, default=1, help="process every N-th frame")
    ap.add_argument("--smoothing", choices=["none", "ema", "window"], default="ema")
    args = ap.parse_args()

    recognizer = EmotionRecognizer()
    per_track: dict[int, Counter[str]] = {}
    for result in recognizer.stream(
        args.video, every=args.every, smoothing=args.smoothing
    ):
        stamp = (
            f"{result.timestamp:6.2f}s" if result.timestamp is not None else "      "
        )
        faces = (
            ", ".join(
                f"#{f.track_id} {f.emotion} {f.confidence:.2f}" for f in result.faces
            )
            or "no face"
        )
        print(f"frame {result.index:5d} {stamp}: {faces}")
        for face in result.faces:
            per_track.setdefault(face.track_id, Counter())[face.emotion] += 1
    for track_id, counts in sorted(per_track.items()):
        emotion, n = counts.most_common(1)[0]
        print(
            f"track {track_id}: mostly {emotion} ({n} of {sum(counts.values())} frames)"
        )


if __name__ == "__main__":
    main()

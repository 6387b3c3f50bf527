"""Live emotions from a webcam (or a video file standing in), drawn on the frames.

    python examples/webcam.py          # camera 0, in a window (opencv-python with GUI)
    python examples/webcam.py --source clip.mp4 --out annotated.mp4   # a file, headless

No camera? ``python examples/make_clip.py clip.mp4`` makes a sample video.

Each frame is annotated with boxes, the smoothed emotion and score bars. With
``--out`` the annotated frames are written to a video; otherwise they are shown
in a window (press q to quit).
"""

from __future__ import annotations

import argparse
import sys
import time

import cv2

from fer_sdk import EmotionRecognizer, FerSdkError, annotate
from fer_sdk.video import StreamProcessor


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--source", default="0", help="camera index or video file")
    ap.add_argument(
        "--out",
        default=None,
        help="write the annotated frames to this video instead of a window",
    )
    ap.add_argument(
        "--max-frames",
        type=int,
        default=0,
        help="stop after N frames (0: until the end or q)",
    )
    args = ap.parse_args()
    source: int | str = int(args.source) if args.source.isdigit() else args.source

    recognizer = EmotionRecognizer().warmup()
    processor = StreamProcessor(recognizer, smoothing="ema", alpha=0.5)
    writer = None
    start, n = time.perf_counter(), 0
    try:
        for frame, result in processor.frames(source):
            shown = annotate(frame, result.faces)
            if args.out:
                if writer is None:
                    h, w = shown.shape[:2]
                    fourcc = cv2.VideoWriter.fourcc(*"mp4v")
                    writer = cv2.VideoWriter(args.out, fourcc, 25.0, (w, h))
                writer.write(shown)
            else:
                cv2.imshow("fer_sdk", shown)
                if cv2.waitKey(1) & 0xFF == ord("q"):
                    break
            n += 1
            if args.max_frames and n >= args.max_frames:
                break
    except FerSdkError as exc:  # no camera, or a file that is not a video
        print(f"webcam.py: {exc}", file=sys.stderr)
        print(
            "Pass a video file instead: python examples/webcam.py --source clip.mp4 "
            "--out annotated.mp4\n(python examples/make_clip.py clip.mp4 makes one)",
            file=sys.stderr,
        )
        sys.exit(2)
    except cv2.error:  # an OpenCV built without windows (opencv-python-headless)
        print(
            "webcam.py: this OpenCV cannot open windows (headless): use --out FILE",
            file=sys.stderr,
        )
        sys.exit(2)
    finally:
        if writer is not None:
            writer.release()
    elapsed = time.perf_counter() - start
    print(f"{n} frames in {elapsed:.1f}s: {n / max(elapsed, 1e-9):.1f} fps")


if __name__ == "__main__":
    main()

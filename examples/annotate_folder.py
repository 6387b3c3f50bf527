"""Annotate every image of a folder (boxes, emotions, score bars) into another folder.

    python examples/annotate_folder.py IN_DIR OUT_DIR

Unreadable files are reported and skipped; a summary line counts faces per emotion.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer, annotate

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    args = ap.parse_args()

    recognizer = EmotionRecognizer()
    args.output.mkdir(parents=True, exist_ok=True)
    emotions: Counter[str] = Counter()
    failed = 0
    for path in sorted(p for p in args.input.iterdir() if p.suffix.lower() in SUFFIXES):
        frame = cv2.imread(str(path))
        if frame is None:
            print(f"skipped {path}: not a readable image", file=sys.stderr)
            failed += 1
            continue
        faces = recognizer.predict(frame)
        emotions.update(f.emotion for f in faces)
        cv2.imwrite(str(args.output / f"{path.stem}.png"), annotate(frame, faces))
        print(
            f"{path.name}: "
            + (", ".join(f"{f.emotion} {f.confidence:.2f}" for f in faces) or "no face")
        )
    print(
        "faces per emotion: "
        + (", ".join(f"{e} {n}" for e, n in emotions.most_common()) or "none")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

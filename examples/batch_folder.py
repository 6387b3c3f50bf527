"""Recognise the emotions in every image of a folder; write them to CSV or JSON Lines.

    python examples/batch_folder.py IN_DIR results.csv      # one row per face
    python examples/batch_folder.py IN_DIR results.jsonl    # one JSON object per image

Images without a face get a row (or object) with no face, so every input is
accounted for; unreadable files are reported on stderr and skipped, and the
exit status is 1 when there was any.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer, FaceEmotion

SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def images(folder: Path) -> Iterator[Path]:
    """The image files of ``folder`` and its sub-folders, in a stable order."""
    return iter(sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES))


def write_csv(
    path: Path, rows: list[tuple[str, list[FaceEmotion]]], labels: tuple[str, ...]
) -> None:
    """A row per face (``face`` empty for an image without one), a column per score."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["image", "face", "x", "y", "w", "h", "emotion", "confidence", *labels]
        )
        for name, faces in rows:
            if not faces:
                writer.writerow([name, "", "", "", "", "", "", "", *[""] * len(labels)])
            for i, f in enumerate(faces):
                b = f.box
                scores = [f"{f.scores[label]:.4f}" for label in labels]
                writer.writerow(
                    [
                        name,
                        i,
                        b.x,
                        b.y,
                        b.w,
                        b.h,
                        f.emotion,
                        f"{f.confidence:.4f}",
                        *scores,
                    ]
                )


def write_jsonl(path: Path, rows: list[tuple[str, list[FaceEmotion]]]) -> None:
    """One JSON object per image: ``{"image": ..., "faces": [FaceEmotion, ...]}``."""
    with path.open("w", encoding="utf-8") as fh:
        for name, faces in rows:
            fh.write(
                json.dumps({"image": name, "faces": [f.model_dump() for f in faces]})
                + "\n"
            )


def main(argv: list[str] | None = None) -> int:
    """Process the folder and write the results file."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("input", type=Path, help="folder of images (searched recursively)")
    ap.add_argument("output", type=Path, help="results file: .csv or .jsonl")
    ap.add_argument(
        "--max-faces",
        type=int,
        default=None,
        help="keep at most this many faces per image",
    )
    args = ap.parse_args(argv)
    if args.output.suffix not in {".csv", ".jsonl"}:
        ap.error("the output file must end in .csv or .jsonl")

    recognizer = EmotionRecognizer(max_faces=args.max_faces).warmup()
    rows: list[tuple[str, list[FaceEmotion]]] = []
    failed = 0
    for path in images(args.input):
        frame = cv2.imread(str(path))
        if frame is None:
            print(f"skipped {path}: not a readable image", file=sys.stderr)
            failed += 1
            continue
        rows.append(
            (path.relative_to(args.input).as_posix(), recognizer.predict(frame))
        )

    if args.output.suffix == ".csv":
        write_csv(args.output, rows, recognizer.labels)
    else:
        write_jsonl(args.output, rows)
    faces = sum(len(f) for _, f in rows)
    print(f"{len(rows)} images, {faces} faces, {failed} unreadable -> {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

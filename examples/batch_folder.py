"""Recognise the emotions in every image and video of a folder with fer_sdk.batch.

Then read the results.

    python examples/batch_folder.py IN_DIR OUT_DIR

OUT_DIR becomes a Parquet data set: OUT_DIR/faces (one row per face) and
OUT_DIR/sources (one row per file with its status: ok, no_face or error). Running
the same command again skips the files already done. The exit status is 1 when a
file could not be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from fer_sdk.batch import run_batch


def main(argv: list[str] | None = None) -> int:
    """Process the folder, then print each face and each file that failed."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "input", type=Path, help="folder of images and videos (searched recursively)"
    )
    ap.add_argument("output", type=Path, help="output folder (the data set)")
    args = ap.parse_args(argv)

    report = run_batch([args.input], args.output, max_faces=5, progress=True)
    print(report.summary())

    faces = pd.read_parquet(args.output / "faces")
    faces["file"] = [
        Path(s).relative_to(args.input.absolute()).as_posix() for s in faces["source"]
    ]
    print(
        faces[["file", "frame", "face", "emotion", "confidence"]].to_string(index=False)
    )
    sources = pd.read_parquet(args.output / "sources")
    for row in sources[sources.status == "error"].itertuples():
        print(f"could not process {row.source}: {row.error}", file=sys.stderr)
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())

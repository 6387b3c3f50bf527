"""Ship a trained model folder with your application, check it, and load it.

    python examples/ship_weights.py MODEL_DIR DEST_DIR

``MODEL_DIR`` is a folder written by ``fer-sdk train`` / :func:`fer_sdk.train.train`
(``model.keras`` + ``metadata.json``). The script copies the two files to
``DEST_DIR`` (where your application keeps its assets), checks the model file
against the SHA-256 recorded in its metadata, loads it, and shows that a
damaged copy is refused.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer, ModelLoadError
from fer_sdk.preset import sha256_file

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"


def main(argv: list[str]) -> int:
    """Copy, verify, load; then damage a copy and show the error."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, dest = Path(argv[1]), Path(argv[2])

    # 1. The two files are the whole model: copy them together.
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("model.keras", "metadata.json"):
        shutil.copy2(source / name, dest / name)

    # 2. The metadata records the checksum; fer_sdk verifies it on load, and so can
    #    your release script.
    meta = json.loads((dest / "metadata.json").read_text())
    print(
        f"labels: {', '.join(meta['labels'])}; preprocessing: {meta['preprocessing']}"
    )
    print(
        "sha256 matches metadata: "
        f"{sha256_file(dest / 'model.keras') == meta['sha256']}"
    )

    # 3. Load it by path: the preprocessing recorded in the metadata is used.
    recognizer = EmotionRecognizer(classifier=str(dest))
    face = recognizer.predict(cv2.imread(str(IMAGE)))[0]
    print(f"loaded {dest}: astronaut is {face.emotion} ({face.confidence:.2f})")

    # 4. A damaged or swapped model file is refused before Keras reads it.
    damaged = dest.parent / f"{dest.name}-damaged"
    shutil.copytree(dest, damaged, dirs_exist_ok=True)
    with (damaged / "model.keras").open("ab") as fh:
        fh.write(b"\0")
    try:
        EmotionRecognizer(classifier=str(damaged)).warmup()
    except ModelLoadError as exc:
        print(f"damaged copy refused: {str(exc)[:60]}...")
    else:
        print("damaged copy was NOT refused")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""A first prediction with fer_sdk: find the faces in a photo, print their emotions,
save an annotated copy.

Run from the repository root:

    python examples/first_prediction.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer, annotate

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("astronaut-annotated.png")

    # 1. Read the photo as OpenCV does: a BGR uint8 array (None if it cannot be read).
    frame = cv2.imread(str(IMAGE))
    if frame is None:
        print(f"cannot read {IMAGE}", file=sys.stderr)
        return 1

    # 2. Build the recogniser (cheap: the weights load on the first prediction).
    recognizer = EmotionRecognizer()

    # 3. Detect every face and recognise its emotion; the largest face comes first.
    faces = recognizer.predict(frame)
    for i, face in enumerate(faces):
        box = face.box
        print(f"face {i}: box x={box.x} y={box.y} w={box.w} h={box.h}")
        print(f"  emotion: {face.emotion} (confidence {face.confidence:.2f})")
        for label, score in face.scores.items():
            print(f"    {label:<9} {score:.3f}")

    # 4. Draw the boxes, labels and score bars on a copy of the frame and save it.
    if not cv2.imwrite(str(out), annotate(frame, faces)):
        print(f"cannot write {out}", file=sys.stderr)
        return 1
    print(f"annotated image: {out}")

    # 5. Faces already cut out skip detection: classify() takes a list of crops.
    if faces:
        b = faces[0].box
        crop = frame[b.y : b.y + b.h, b.x : b.x + b.w]
        (prediction,) = recognizer.classify([crop])
        print(
            "classify() on the first face's crop: "
            f"{prediction.emotion} ({prediction.confidence:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

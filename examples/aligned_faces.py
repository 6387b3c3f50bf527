"""Turn tilted faces upright before classifying: ``mtcnn`` finds the eyes, ``aligned``
levels them.

Needs ``pip install plugins/fer-sdk-mtcnn plugins/fer-sdk-align``. Run from the
repository root:

    python examples/aligned_faces.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"

# The astronaut's head, tilted by 30 degrees.
photo = cv2.imread(str(IMAGE))
turn = cv2.getRotationMatrix2D((220.0, 115.0), 30.0, 1.0)
tilted = cv2.warpAffine(
    photo, turn, (photo.shape[1], photo.shape[0]), borderMode=cv2.BORDER_REFLECT
)

for preprocessor in ("standard", "aligned"):
    rec = EmotionRecognizer(detector="mtcnn", preprocessor=preprocessor)
    for face in rec.predict(tilted):
        print(f"{preprocessor}: {face.emotion} ({face.confidence:.2f})")

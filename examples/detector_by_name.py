"""Choose the face detector by name, with options, and list the installed detectors.

Run from the repository root:

    python examples/detector_by_name.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

import fer_sdk
from fer_sdk import EmotionRecognizer

IMAGE = Path(__file__).resolve().parent / "images" / "grace_hopper.jpg"

# Every detector that can be used by name, and the distribution it comes from.
for info in fer_sdk.available_components()["detectors"]:
    print(f"detector {info['name']:12s} from {info['distribution']}")

# The built-in Haar detector with options: faces of 60 pixels and up, stricter grouping.
rec = EmotionRecognizer(
    detector="haar", detector_options={"min_size": 60, "min_neighbors": 6}
)
for face in rec.predict(cv2.imread(str(IMAGE))):
    print(f"haar: box {face.box.xyxy}, emotion: {face.emotion}")

# Options are checked when the recognizer is built: unknown keys and bad values raise.
try:
    EmotionRecognizer(detector="haar", detector_options={"min_size": 2})
except fer_sdk.FerSdkError as exc:
    print(f"rejected: {type(exc).__name__}")

# An unknown name raises UnknownComponentError; its message lists the available ones.
try:
    EmotionRecognizer(detector="no-such-detector")
except fer_sdk.UnknownComponentError as exc:
    print(f"rejected: {exc}")

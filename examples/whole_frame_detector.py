"""The example plugin's ``whole-frame`` detector: for pictures that are face crops.

Needs ``pip install plugins/fer-sdk-example``. Run from the repository root:

    python examples/whole_frame_detector.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer

IMAGE = Path(__file__).resolve().parent / "images" / "astronaut.png"

crop = cv2.imread(str(IMAGE))[55:175, 165:285]  # a picture of the face alone
rec = EmotionRecognizer(detector="whole-frame", detector_options={"inset": 0.0})
[face] = rec.predict(crop)  # the whole picture is the face
print(f"whole-frame: box {face.box.xyxy}, emotion: {face.emotion}")

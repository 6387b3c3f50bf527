"""The ``blazeface`` detector (``fer-sdk-blazeface``).

Fast boxes with a score and six landmarks.

Needs ``pip install plugins/fer-sdk-blazeface``. Run from the repository root:

    python examples/blazeface_detector.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer

IMAGE = Path(__file__).resolve().parent / "images" / "grace_hopper.jpg"

# min_size: smallest face side in pixels the search plans for (smaller is slower);
# score_threshold: the least BlazeFace score a face needs.
rec = EmotionRecognizer(
    detector="blazeface", detector_options={"min_size": 48, "score_threshold": 0.65}
)
for face in rec.predict(cv2.imread(str(IMAGE))):
    box = face.box
    (lx, ly), (rx, ry) = box.landmarks["left_eye"], box.landmarks["right_eye"]
    print(f"blazeface: box {box.xyxy}, score {box.score:.3f}, emotion: {face.emotion}")
    eyes = f"eyes at ({lx:.0f}, {ly:.0f}) and ({rx:.0f}, {ry:.0f})"
    print(f"  {eyes}; landmarks: {', '.join(box.landmarks)}")

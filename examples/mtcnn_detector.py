"""The ``mtcnn`` detector (``fer-sdk-mtcnn``): boxes with a score and eye, nose and
mouth positions.

Needs ``pip install plugins/fer-sdk-mtcnn``. Run from the repository root:

    python examples/mtcnn_detector.py
"""

from __future__ import annotations

from pathlib import Path

import cv2

from fer_sdk import EmotionRecognizer

IMAGE = Path(__file__).resolve().parent / "images" / "grace_hopper.jpg"

# min_size: smallest face side in pixels (20 or more; larger is faster);
# score_threshold: the least MTCNN confidence a face needs.
rec = EmotionRecognizer(
    detector="mtcnn", detector_options={"min_size": 40, "score_threshold": 0.9}
)
for face in rec.predict(cv2.imread(str(IMAGE))):
    box = face.box
    (lx, ly), (rx, ry) = box.landmarks["left_eye"], box.landmarks["right_eye"]
    print(f"mtcnn: box {box.xyxy}, score {box.score:.3f}, emotion: {face.emotion}")
    print(f"  eyes at ({lx:.0f}, {ly:.0f}) and ({rx:.0f}, {ry:.0f})")

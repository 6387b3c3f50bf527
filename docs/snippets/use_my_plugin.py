"""Use the detector of my-fer-plugin by name, once the plugin is installed."""

from __future__ import annotations

import cv2

import fer_sdk
from fer_sdk import EmotionRecognizer

# The plugin is listed with the built-in components.
detectors = {
    d["name"]: d["distribution"] for d in fer_sdk.available_components()["detectors"]
}
print("frontal-and-profile comes from", detectors["frontal-and-profile"])

# Choose it by name; detector_options go to its constructor as keyword arguments.
recognizer = EmotionRecognizer(
    detector="frontal-and-profile", detector_options={"min_neighbors": 5}
)
print(recognizer)
frame = cv2.imread("examples/images/grace_hopper.jpg")
for face in recognizer.predict(frame):
    print(f"face at {face.box.xyxy}: {face.emotion} ({face.confidence:.2f})")

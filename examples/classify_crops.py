"""Classify faces that are already cut out: no detection, one batch.

    python examples/classify_crops.py [CROP_DIR]

With ``CROP_DIR`` it classifies every image in it (e.g. aligned face crops,
or a FER2013 class folder). Without it, it cuts the faces out of the example
photos first, to have some crops.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from fer_sdk import EmotionRecognizer

IMAGES = Path(__file__).resolve().parent / "images"


def example_crops() -> dict[str, np.ndarray]:
    """Face crops cut from the example photos (as another detector or a data set gives).

    Square crops framed tightly around the face, as the Haar detector frames them, match
    what the bundled model was trained on (FER2013 crops); see the model card.
    """
    photo = cv2.imread(str(IMAGES / "astronaut.png"))
    hopper = cv2.imread(str(IMAGES / "grace_hopper.jpg"), cv2.IMREAD_GRAYSCALE)
    return {
        "astronaut (BGR crop)": photo[60:170, 170:280],
        "grace_hopper (grayscale crop)": hopper[104:332, 154:382],
    }


def main(argv: list[str]) -> int:
    """Classify the crops of ``argv[1]`` (or the example crops); a line per crop."""
    if len(argv) > 1:
        paths = sorted(
            p
            for p in Path(argv[1]).iterdir()
            if p.suffix.lower() in {".png", ".jpg", ".jpeg"}
        )
        crops = {p.name: cv2.imread(str(p)) for p in paths}
        crops = {name: img for name, img in crops.items() if img is not None}
    else:
        crops = example_crops()

    recognizer = EmotionRecognizer()
    # A list of images of any size, grayscale or BGR; one prediction per crop, in order.
    predictions = recognizer.classify(list(crops.values()))
    for name, prediction in zip(crops, predictions, strict=True):
        top2 = sorted(prediction.scores.items(), key=lambda kv: -kv[1])[:2]
        print(
            f"{name}: {prediction.emotion} ({prediction.confidence:.2f}); "
            f"top two: {top2[0][0]}, {top2[1][0]}"
        )

    # Crops of one size can also go as a single uint8 array: (n, h, w) grayscale or
    # (n, h, w, 3) BGR.
    batch = np.stack(
        [cv2.resize(img, (48, 48)) for img in crops.values() if img.ndim == 3]
    )
    print(f"batch {batch.shape}: {[p.emotion for p in recognizer.classify(batch)]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

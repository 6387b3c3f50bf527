"""Choose the crop margin of the standard preprocessor: how Haar boxes relate to FER2013 framing.

FER2013 faces are 48x48 crops framed by the data set's own face finder; in an
application the crop comes from a Haar box on a full photo. This script puts
each PublicTest face back into a larger picture (upscaled 4x, centred on a
mid-gray canvas), runs the Haar detector, and reports

1. the geometry: the Haar box's side and centre relative to the FER2013 frame,
   and the margin that makes a crop from a Haar box match FER2013 framing;
2. the accuracy of the bundled model on crops cut from the Haar box with each
   margin (only margins up to the FER2013 frame are free of canvas padding);
3. the prediction on the real photos in examples/images for each margin.

    python benchmarks/experiments/margin.py --data ../shared/datasets/fer2013 [--model DIR] [--set MARGIN]

``--set MARGIN`` records the chosen margin in the model folder's
``metadata.json`` (``preprocessing.margin``), which the recognizer then uses.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from fer_sdk import EmotionRecognizer, Frame
from fer_sdk.builtin.haar import HaarDetector
from fer_sdk.builtin.preprocess import StandardPreprocessor
from fer_sdk.datasets import load_image_folders

UPSCALE = 4
PAD = 96
MARGINS = (-0.1, -0.05, 0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--split", default="PublicTest")
    ap.add_argument("--model", default=None, help="model folder (default: bundled)")
    ap.add_argument("--set", type=float, default=None, metavar="MARGIN", help="write MARGIN into DIR/metadata.json")
    args = ap.parse_args()
    if args.set is not None:
        if args.model is None:
            ap.error("--set needs --model DIR")
        meta_path = Path(args.model) / "metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        meta["preprocessing"]["margin"] = args.set
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        print(f"{meta_path}: preprocessing.margin = {args.set}")
        return

    rec = EmotionRecognizer(classifier=args.model or "keras")
    labels = list(rec.labels)
    ds = load_image_folders(args.data, args.split, labels)
    haar = HaarDetector()
    side = 48 * UPSCALE
    frames, boxes, keep = [], [], []
    rel_side, rel_dx, rel_dy = [], [], []
    for i, img in enumerate(ds.images[..., 0]):
        big = cv2.resize(img, (side, side), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=128)
        frame = Frame(canvas)
        found = sorted(haar.detect(frame), key=lambda b: -b.area)
        if not found:
            continue
        b = found[0]
        frames.append(frame)
        boxes.append(b)
        keep.append(i)
        rel_side.append(max(b.w, b.h) / side)
        rel_dx.append((b.x + b.w / 2 - PAD - side / 2) / side)
        rel_dy.append((b.y + b.h / 2 - PAD - side / 2) / side)
    y = ds.labels[keep]
    s = float(np.median(rel_side))
    print(f"{args.split}: {len(ds)} faces, Haar found {len(keep)} ({len(keep) / len(ds):.1%})")
    q1, q3 = np.percentile(rel_side, [25, 75])
    print(f"Haar box side / FER2013 frame side: median {s:.3f} (IQR {q1:.3f}-{q3:.3f})")
    print(f"box centre offset, fraction of the frame: dx {np.median(rel_dx):+.3f}, dy {np.median(rel_dy):+.3f}")
    print(f"margin that reproduces FER2013 framing: (1/{s:.3f} - 1) / 2 = {(1 / s - 1) / 2:.3f}")
    print()
    print("accuracy on the Haar-detected faces, crop = Haar box grown by the margin on each side:")
    print(f"{'margin':>7} {'accuracy':>9}")
    for m in MARGINS:
        pre = StandardPreprocessor(margin=m)
        batch = np.concatenate([pre.prepare(f, [b]) for f, b in zip(frames, boxes, strict=True)])
        probs = rec.classifier.predict_proba(batch)
        acc = float(np.mean(np.argmax(probs, axis=1) == y))
        print(f"{m:7.2f} {acc:9.4f}")
    print()
    print("real photos (examples/images), top emotion and its probability per margin:")
    for path in sorted(Path("examples/images").glob("*.[jp][pn]g")):
        img = cv2.imread(str(path))
        frame = Frame(img)
        found = sorted(haar.detect(frame), key=lambda b: -b.area)
        if not found:
            print(f"  {path.name}: no face")
            continue
        cells = []
        for m in MARGINS:
            probs = rec.classifier.predict_proba(StandardPreprocessor(margin=m).prepare(frame, found[:1]))[0]
            cells.append(f"{m:+.2f}:{labels[int(np.argmax(probs))]} {probs.max():.2f}")
        print(f"  {path.name}: " + ", ".join(cells))


if __name__ == "__main__":
    main()

"""``fer-sdk featuremaps`` and ``fer-sdk timeline``: pictures as PNG files (:mod:`fer_sdk.figures`, matplotlib)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_sdk.cli.common import EXIT_FAILED, EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``featuremaps`` and ``timeline`` to the subcommands."""
    p = sub.add_parser("featuremaps", help="feature maps of the CNN for the largest face in an image (PNG)")
    p.add_argument("image", type=Path, metavar="IMAGE", help="an image file")
    p.add_argument("--out", type=Path, required=True, metavar="OUT.png", help="the picture to write")
    p.add_argument("--whole", action="store_true", help="the image is already a face crop: skip detection")
    p.add_argument("--layers", default="block2_pool,block3_pool", metavar="NAMES", help="comma-separated layer names")
    p.add_argument(
        "--classifier", default="keras", metavar="NAME|PATH", help="registered name, bundled preset or model folder"
    )
    p.set_defaults(func=cmd_featuremaps)

    p = sub.add_parser("timeline", help="plot emotions over time from video results (.jsonl) as a PNG")
    p.add_argument(
        "results", type=Path, metavar="RESULTS.jsonl", help="written by fer-sdk predict VIDEO --out results.jsonl"
    )
    p.add_argument("--out", type=Path, required=True, metavar="OUT.png", help="the picture to write")
    p.set_defaults(func=cmd_timeline)


def cmd_featuremaps(args: argparse.Namespace) -> int:
    """Run ``fer-sdk featuremaps``."""
    from fer_sdk import EmotionRecognizer
    from fer_sdk.figures import plot_feature_maps, require_matplotlib
    from fer_sdk.frame import read_image

    require_matplotlib("fer-sdk featuremaps")
    img = read_image(args.image)
    if img is None:
        print(f"fer-sdk: error: {args.image}: not a readable image", file=sys.stderr)
        return EXIT_FAILED
    rec = EmotionRecognizer(classifier=args.classifier)
    face = img
    if not args.whole:
        boxes = rec.detect(img)
        if not boxes:
            print(f"fer-sdk: error: {args.image}: no face found (use --whole for a face crop)", file=sys.stderr)
            return EXIT_FAILED
        b = boxes[0]
        face = img[b.y : b.y + b.h, b.x : b.x + b.w]
    plot_feature_maps(rec, face, args.out, layers=[n.strip() for n in args.layers.split(",") if n.strip()])
    print(f"feature maps: {args.out}")
    return EXIT_OK


def cmd_timeline(args: argparse.Namespace) -> int:
    """Run ``fer-sdk timeline``."""
    from fer_sdk.cli.video import read_results
    from fer_sdk.figures import plot_timeline, require_matplotlib

    require_matplotlib("fer-sdk timeline")
    try:
        frames = read_results(args.results)
    except (OSError, ValueError) as exc:
        print(f"fer-sdk: error: {args.results}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    labels = next((list(face["scores"]) for fr in frames for face in fr.get("faces", [])), [])
    plot_timeline(frames, labels, args.out, title=f"emotions over time: {args.results.name}")
    print(f"timeline: {args.out}")
    return EXIT_OK

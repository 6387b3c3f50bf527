"""``fer-sdk predict``: emotions in image files, folders of images, or one video (see :mod:`fer_sdk.cli.video`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fer_sdk.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_component_arguments,
    add_video_arguments,
    expand_folders,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``predict`` to the subcommands."""
    p = sub.add_parser("predict", help="recognise emotions in image files, folders of images or a video")
    p.add_argument(
        "images", nargs="+", type=Path, metavar="IMAGE|DIR|VIDEO", help="image files, folders of images, or one video"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per face ({"image": ..., "faces": []} for an image without one); per frame for a video',
    )
    p.add_argument(
        "--annotate",
        type=Path,
        metavar="OUT.png|OUT.mp4",
        help="write an annotated copy (OUT-<name>.png for several images; an .mp4 for a video)",
    )
    p.add_argument("--out", type=Path, metavar="RESULTS.csv|.jsonl", help="video: write results here as they come")
    add_video_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="video: no progress line on stderr")
    add_component_arguments(p)
    p.set_defaults(func=cmd_predict)


def _annotate_path(out: Path, image: Path, many: bool) -> Path:
    return out.with_name(f"{out.stem}-{image.stem}{out.suffix or '.png'}") if many else out


def cmd_predict(args: argparse.Namespace) -> int:
    """Run ``fer-sdk predict``."""
    import cv2

    from fer_sdk import EmotionRecognizer, FerSdkError, annotate
    from fer_sdk.errors import MissingExtraError
    from fer_sdk.frame import read_image
    from fer_sdk.video import VIDEO_SUFFIXES

    try:
        rec = EmotionRecognizer(
            detector=args.detector, preprocessor=args.preprocessor, classifier=args.classifier, max_faces=args.max_faces
        )
    except FerSdkError as exc:
        print(f"fer-sdk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from fer_sdk.cli.video import predict_video

    folders = [p for p in args.images if p.is_dir()]
    images = expand_folders(args.images)
    if folders and not images:
        print(f"fer-sdk: error: no image files in {', '.join(map(str, folders))}", file=sys.stderr)
        return EXIT_FAILED
    videos = [p for p in images if p.suffix.lower() in VIDEO_SUFFIXES]
    if videos:
        if len(images) > 1:
            print("fer-sdk: error: give one video at a time (or only images)", file=sys.stderr)
            return EXIT_USAGE
        if not videos[0].is_file():
            print(f"fer-sdk: error: {videos[0]}: no such file", file=sys.stderr)
            return EXIT_FAILED
        try:
            return predict_video(rec, videos[0], args)
        except ValueError as exc:
            print(f"fer-sdk: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.out is not None:
        print("fer-sdk: error: --out is for videos; use --json and redirect for images", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    many = len(images) > 1 or bool(folders)
    for path in images:
        img = read_image(path)
        if img is None:
            reason = "no such file" if not path.exists() else "not a readable image"
            print(f"fer-sdk: error: {path}: {reason}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        try:
            faces = rec.predict(img)
        except MissingExtraError:
            raise  # the same for every file: a usage error (exit 2)
        except FerSdkError as exc:
            print(f"fer-sdk: error: {path}: {exc}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        if not faces:
            if args.json:  # every image gets a record: one with an empty face list
                print(json.dumps({"image": str(path), "faces": []}))
            print(f"{path}: no face found", file=sys.stderr)
        for i, face in enumerate(faces):
            if args.json:
                print(json.dumps({"image": str(path), "face": i, **face.model_dump()}))
            else:
                b = face.box
                scores = " ".join(f"{k} {v:.2f}" for k, v in face.scores.items())
                print(f"{path}: face {i} box=({b.x},{b.y},{b.w},{b.h}) {face.emotion} {face.confidence:.2f} [{scores}]")
        if args.annotate is not None:
            target = _annotate_path(args.annotate, path, many)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(target), annotate(img, faces)):
                print(f"fer-sdk: error: could not write {target}", file=sys.stderr)
                status = EXIT_FAILED
    return status

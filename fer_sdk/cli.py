"""The ``fer-sdk`` command: a thin layer over the public API.

Subcommands: ``predict`` (images), ``batch`` (corpora, see :mod:`fer_sdk.batch`),
``plugins`` (list components), ``train`` (the training recipe), ``evaluate`` (metrics on a labelled split) and
``export`` (a model for a fast CPU runtime: TFLite / LiteRT or ONNX).
Exit codes: 0 success, 1 when some input could not be processed, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.decision import DECISION_HELP, DECISION_RULES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def read_image(path: Path) -> np.ndarray | None:
    """Read an image file as BGR (or gray) uint8; ``None`` when it cannot be read as an image."""
    import cv2

    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return img if img is not None and img.size else None


IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm", ".pnm", ".jp2", ".exr", ".hdr"}
)


def expand_folders(paths: Sequence[Path]) -> list[Path]:
    """``paths`` with each folder replaced by the image files under it (by suffix, sorted, sub-folders included).

    Examples:
        >>> [p.name for p in expand_folders([Path("examples/images")])]
        ['astronaut.png', 'grace_hopper.jpg']
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        else:
            out.append(path)
    return out


def _annotate_path(out: Path, image: Path, many: bool) -> Path:
    return out.with_name(f"{out.stem}-{image.stem}{out.suffix or '.png'}") if many else out


def _cmd_predict(args: argparse.Namespace) -> int:
    import cv2

    from fer_sdk import EmotionRecognizer, FerSdkError, annotate
    from fer_sdk.errors import MissingExtraError

    try:
        rec = EmotionRecognizer(
            detector=args.detector, preprocessor=args.preprocessor, classifier=args.classifier, max_faces=args.max_faces
        )
    except FerSdkError as exc:
        print(f"fer-sdk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from fer_sdk._videocli import VIDEO_SUFFIXES, predict_video

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


def _default_classifier() -> tuple[str | None, str]:
    """The classifier the default ``auto`` resolves to here, and why (None and the error when none can)."""
    from fer_sdk.errors import MissingExtraError
    from fer_sdk.runtime import choose_classifier

    try:
        choice = choose_classifier()
    except MissingExtraError as exc:
        return None, str(exc)
    return choice.name, choice.reason


def _cmd_plugins(args: argparse.Namespace) -> int:
    from fer_sdk import available_components

    comps = available_components()
    default, reason = _default_classifier()
    for entry in comps["classifiers"]:  # the one the default classifier ("auto") runs here says so
        if entry["name"] == default:
            entry["default"] = f"auto: {reason}"
    if args.json:
        print(json.dumps(comps, indent=2))
        return EXIT_OK
    for kind, entries in comps.items():
        print(f"{kind}:")
        for e in entries:
            alias = f" (aliases: {', '.join(e['aliases'])})" if e["aliases"] else ""
            print(f"  {e['name']:<14} {e['distribution']:<24} {e['description']}{alias}")
    print(f"default classifier (auto): {default or 'none'} ({reason}); choose one with --classifier NAME")
    return EXIT_OK


def _cmd_train(args: argparse.Namespace) -> int:
    from fer_sdk.train.__main__ import run

    return run(args)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from fer_sdk.evaluation import EvaluationReport, VoteEvaluationReport, evaluate, evaluate_votes
    from fer_sdk.plots import require_matplotlib
    from fer_sdk.train.ferplus import is_ferplus_split

    pictures = (
        ("--confusion-png", args.confusion_png),
        ("--per-class-png", args.per_class_png),
        ("--reliability-png", args.reliability_png),
    )
    for flag, value in pictures:
        if value is not None:
            require_matplotlib(flag)  # before the split is classified
    split = None if args.split.lower() == "none" else args.split
    if args.reliability_png is not None and not is_ferplus_split(args.data, split):
        print(
            "fer-sdk: error: --reliability-png needs a FER+ split (ten votes per face), e.g. --split FER2013Valid",
            file=sys.stderr,
        )
        return EXIT_USAGE
    options: dict[str, str] = {"precision": args.precision} if args.precision else {}
    if args.decision:
        options["decision"] = args.decision
    report: EvaluationReport | VoteEvaluationReport
    if split is not None and is_ferplus_split(args.data, split):  # agreement with the voters
        report = evaluate_votes(args.data, split, args.model, tta=args.tta, classifier_options=options or None)
    else:
        report = evaluate(args.data, split, args.model, tta=args.tta, classifier_options=options or None)
    if args.confusion_png is not None:
        from fer_sdk.plots import plot_confusion

        plot_confusion(report.confusion, report.labels, args.confusion_png, title=f"{report.split} confusion")
    if args.per_class_png is not None:
        from fer_sdk.plots import plot_per_class

        counts = {name: int(sum(row)) for name, row in zip(report.labels, report.confusion, strict=True)}
        plot_per_class(report.per_class, args.per_class_png, title=f"{report.split} per-class accuracy", counts=counts)
    if args.reliability_png is not None:
        assert isinstance(report, VoteEvaluationReport)  # checked above
        from fer_sdk.plots import plot_reliability

        plot_reliability(report.reliability, args.reliability_png, ece=report.ece, title=f"{report.split} reliability")
    if args.json:
        print(report.model_dump_json())
    else:
        print(report.table())
        if args.confusion_png is not None:
            print(f"confusion matrix image: {args.confusion_png}")
        if args.per_class_png is not None:
            print(f"per-class accuracy image: {args.per_class_png}")
        if args.reliability_png is not None:
            print(f"reliability diagram image: {args.reliability_png}")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from fer_sdk.export import export_in_place, export_model

    if args.in_place:
        if args.out is not None or args.format not in (None, "tflite") or args.quantize != "none":
            print("fer-sdk: error: --in-place writes the float32 model.tflite beside model.keras: "
                  "give it neither --out, --format onnx nor --quantize", file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        path = export_in_place(args.model, overwrite=args.force)
        print(f"exported: {path} (recorded in {path.with_name('metadata.json')} under runtime_files.tflite)")
        return EXIT_OK
    if args.out is None:
        print("fer-sdk: error: give --out FILE|DIR, or --in-place", file=sys.stderr)
        return EXIT_USAGE
    path = export_model(args.model, args.out, args.format, args.quantize, overwrite=args.force)
    print(f"exported: {path} (metadata: {path.with_name('metadata.json')})")
    return EXIT_OK


def _cmd_featuremaps(args: argparse.Namespace) -> int:
    from fer_sdk import EmotionRecognizer
    from fer_sdk.plots import require_matplotlib
    from fer_sdk.viz import plot_feature_maps

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


def _cmd_timeline(args: argparse.Namespace) -> int:
    from fer_sdk._videocli import read_results
    from fer_sdk.plots import plot_timeline, require_matplotlib

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


def _cmd_batch(args: argparse.Namespace) -> int:
    from fer_sdk.batch.cli import cmd_batch

    return cmd_batch(args)


def add_component_arguments(p: argparse.ArgumentParser) -> None:
    """The pipeline's options shared by ``fer-sdk predict`` and ``fer-sdk batch``: detector, preprocessor,
    classifier and the number of faces kept."""
    p.add_argument("--detector", default="haar", metavar="NAME", help="registered detector name (fer-sdk plugins)")
    p.add_argument(
        "--preprocessor", default=None, metavar="NAME", help="registered preprocessor name; default: the classifier's"
    )
    p.add_argument(
        "--classifier",
        default="auto",
        metavar="NAME|PATH",
        help="registered name, bundled preset or model folder (auto: litert without a GPU, see fer-sdk plugins)",
    )
    p.add_argument("--max-faces", type=int, default=None, metavar="N", help="keep at most N faces, the largest")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``fer-sdk``."""
    from fer_sdk import __version__
    from fer_sdk.train.__main__ import add_train_arguments

    parser = argparse.ArgumentParser(prog="fer-sdk", description="Facial emotion recognition.")
    parser.add_argument("--version", action="version", version=f"fer_sdk {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details to stderr, and what dependencies print on start-up"
    )
    sub = parser.add_subparsers(dest="command", required=True)

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
    p.add_argument("--every", type=int, default=1, metavar="N", help="video: process every N-th frame")
    p.add_argument("--smoothing", choices=["none", "ema", "window"], default="none", help="video: per-track smoothing")
    p.add_argument(
        "--detect-every",
        type=int,
        default=1,
        metavar="N",
        help="video: search the whole frame every N-th processed frame, in between only around tracked faces",
    )
    p.add_argument("--no-progress", action="store_true", help="video: no progress line on stderr")
    add_component_arguments(p)
    p.set_defaults(func=_cmd_predict)

    from fer_sdk.batch.cli import add_batch_arguments

    p = sub.add_parser("batch", help="a corpus of images and videos to a resumable Parquet data set (local or Ray)")
    add_batch_arguments(p)
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("plugins", help="list detectors, preprocessors and classifiers")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=_cmd_plugins)

    p = sub.add_parser("train", help="train a classifier (see python -m fer_sdk.train)")
    add_train_arguments(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("evaluate", help="accuracy, per-class accuracy, macro F1 and confusion on a labelled split")
    p.add_argument(
        "--data", type=Path, required=True, metavar="PATH", help="fer2013.csv, image-folder release or class folders"
    )
    p.add_argument("--split", default="PublicTest", metavar="NAME", help="split name, or 'none' for class folders")
    p.add_argument(
        "--model", default=None, metavar="MODEL", help="model folder, .keras file or preset (default: bundled)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--tta", action="store_true", help="also report horizontal-flip test-time augmentation")
    p.add_argument(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        default=None,
        help="Keras classifier precision (default: its own, auto: bfloat16 for batches on CPUs with bf16 units)",
    )
    p.add_argument(
        "--confusion-png", type=Path, default=None, metavar="FILE", help="save the confusion matrix as a PNG"
    )
    p.add_argument(
        "--per-class-png",
        type=Path,
        default=None,
        metavar="FILE",
        help="save a per-class accuracy bar chart (with each class's number of faces) as a PNG",
    )
    p.add_argument(
        "--reliability-png",
        type=Path,
        default=None,
        metavar="FILE",
        help="FER+ splits: save the reliability diagram (top score against the voters' agreement) as a PNG",
    )
    p.add_argument("--decision", choices=list(DECISION_RULES), default=None, help=DECISION_HELP)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("export", help="export a model for a fast CPU runtime (TFLite / LiteRT or ONNX)")
    p.add_argument(
        "--model", default="fernet_fer7", metavar="MODEL", help="bundled preset, model folder or .keras file"
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="FILE|DIR", help="model.tflite / model.onnx; metadata.json beside it"
    )
    p.add_argument(
        "--in-place",
        action="store_true",
        help="write the float32 model.tflite into the model folder beside model.keras and record it in its "
        "metadata.json (how a preset gets the file the default litert classifier runs)",
    )
    p.add_argument("--format", choices=["tflite", "onnx"], default=None, help="default: from --out's suffix")
    p.add_argument(
        "--quantize",
        choices=["none", "dynamic"],
        default="none",
        help="dynamic: int8 weights, activations quantized at run time (tflite only)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing model file and metadata")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("featuremaps", help="feature maps of the CNN for the largest face in an image (PNG)")
    p.add_argument("image", type=Path, metavar="IMAGE", help="an image file")
    p.add_argument("--out", type=Path, required=True, metavar="OUT.png", help="the picture to write")
    p.add_argument("--whole", action="store_true", help="the image is already a face crop: skip detection")
    p.add_argument("--layers", default="block2_pool,block3_pool", metavar="NAMES", help="comma-separated layer names")
    p.add_argument(
        "--classifier", default="keras", metavar="NAME|PATH", help="registered name, bundled preset or model folder"
    )
    p.set_defaults(func=_cmd_featuremaps)

    p = sub.add_parser("timeline", help="plot emotions over time from video results (.jsonl) as a PNG")
    p.add_argument(
        "results", type=Path, metavar="RESULTS.jsonl", help="written by fer-sdk predict VIDEO --out results.jsonl"
    )
    p.add_argument("--out", type=Path, required=True, metavar="OUT.png", help="the picture to write")
    p.set_defaults(func=_cmd_timeline)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fer-sdk`` command."""
    from fer_sdk.errors import FerSdkError, MissingExtraError

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        result: Any = args.func(args)
    except MissingExtraError as exc:  # a usage error: the option needs an extra that is not installed
        print(f"fer-sdk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FerSdkError as exc:
        print(f"fer-sdk: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("fer-sdk: interrupted", file=sys.stderr)
        return 130
    return int(result)


if __name__ == "__main__":
    sys.exit(main())

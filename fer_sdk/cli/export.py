"""``fer-sdk export``: a model for a fast CPU runtime, TFLite / LiteRT or ONNX (:mod:`fer_sdk.export`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_sdk.cli.common import EXIT_OK, EXIT_USAGE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export`` to the subcommands."""
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
        help="write model.tflite (float32) and model_int8.tflite into the model folder beside model.keras and "
        "record them in its metadata.json (how a preset gets the files the default litert classifier runs)",
    )
    p.add_argument("--format", choices=["tflite", "onnx"], default=None, help="default: from --out's suffix")
    p.add_argument(
        "--quantize",
        choices=["none", "dynamic"],
        default="none",
        help="dynamic: int8 weights, activations quantized at run time (tflite only)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing model file and metadata")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """Run ``fer-sdk export``."""
    from fer_sdk.export import export_in_place, export_model

    if args.in_place:
        if args.out is not None or args.format not in (None, "tflite") or args.quantize != "none":
            print("fer-sdk: error: --in-place writes model.tflite and model_int8.tflite beside model.keras: "
                  "give it neither --out, --format onnx nor --quantize", file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        path = export_in_place(args.model, overwrite=args.force)
        meta = path.with_name("metadata.json")
        print(f"exported: {path} and {path.with_name('model_int8.tflite')} (recorded in {meta} under runtime_files)")
        return EXIT_OK
    if args.out is None:
        print("fer-sdk: error: give --out FILE|DIR, or --in-place", file=sys.stderr)
        return EXIT_USAGE
    path = export_model(args.model, args.out, args.format, args.quantize, overwrite=args.force)
    print(f"exported: {path} (metadata: {path.with_name('metadata.json')})")
    return EXIT_OK

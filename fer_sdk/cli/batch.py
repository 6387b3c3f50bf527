"""``fer-sdk batch``: the command line of :func:`fer_sdk.batch.run_batch`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_sdk.cli.common import add_component_arguments, add_video_arguments

__all__ = ["add_batch_arguments", "cmd_batch", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``batch`` to the subcommands."""
    p = sub.add_parser("batch", help="a corpus of images and videos to a resumable Parquet data set (local or Ray)")
    add_batch_arguments(p)
    p.set_defaults(func=cmd_batch)


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``fer-sdk batch``."""
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="image or video files, folders (recursive), glob patterns ('photos/**/*.jpg') or .txt lists of them",
    )
    p.add_argument("--out", type=Path, required=True, metavar="OUT", help="output folder (rerun to resume)")
    p.add_argument(
        "--format",
        choices=["parquet", "jsonl"],
        default="parquet",
        help="parquet (needs fer_sdk[batch]) or jsonl: the records of predict --json",
    )
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="this process, or Ray Data actors")
    p.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="ray: a running cluster (HOST:PORT, ray://HOST:10001 or auto); default: a local Ray on 127.0.0.1",
    )
    p.add_argument("--workers", type=int, default=None, metavar="N", help="ray: actors (default: one per CPU or GPU)")
    p.add_argument("--cpus-per-worker", type=float, default=1.0, metavar="C", help="ray: CPUs each actor reserves")
    p.add_argument("--gpus-per-worker", type=float, default=0.0, metavar="G", help="ray: GPUs each actor reserves")
    p.add_argument("--batch-size", type=int, default=1, metavar="N", help="ray: sources per actor call")
    p.add_argument("--chunk", type=int, default=64, metavar="N", help="write a part every N finished sources")
    add_video_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    add_component_arguments(p)


def cmd_batch(args: argparse.Namespace) -> int:
    """Run ``fer-sdk batch``; exit 0, 1 when some source is an error row, 130 when interrupted, 2 for usage errors."""
    from pydantic import ValidationError

    from fer_sdk.batch import run_batch
    from fer_sdk.errors import UnknownComponentError

    if args.engine == "local" and (args.address or args.workers or args.gpus_per_worker):
        print("fer-sdk: error: --address, --workers and --gpus-per-worker need --engine ray", file=sys.stderr)
        return 2
    try:
        report = run_batch(
            args.sources,
            args.out,
            engine=args.engine,
            format=args.format,
            address=args.address,
            workers=args.workers,
            cpus_per_worker=args.cpus_per_worker,
            gpus_per_worker=args.gpus_per_worker,
            batch_size=args.batch_size,
            chunk_size=args.chunk,
            progress=not args.no_progress,
            detector=args.detector,
            preprocessor=args.preprocessor,
            classifier=args.classifier,
            max_faces=args.max_faces,
            every=args.every,
            detect_every=args.detect_every,
            smoothing=args.smoothing,
        )
    except (ValidationError, UnknownComponentError) as exc:
        print(f"fer-sdk: error: {exc}", file=sys.stderr)
        return 2
    for spec in report.empty:
        print(f"fer-sdk: warning: {spec}: no image or video files", file=sys.stderr)
    print(report.summary())
    if report.interrupted:
        return 130
    return 1 if report.error else 0

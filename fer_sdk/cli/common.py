"""What the ``fer-sdk`` subcommands share: exit codes, image folders and the pipeline's options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "IMAGE_SUFFIXES", "add_component_arguments", "expand_folders"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

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


def add_video_arguments(p: argparse.ArgumentParser) -> None:
    """``--every``, ``--detect-every`` and ``--smoothing``: how a video is read (``predict`` and ``batch``)."""
    p.add_argument("--every", type=int, default=1, metavar="N", help="video: process every N-th frame")
    p.add_argument(
        "--detect-every",
        type=int,
        default=1,
        metavar="N",
        help="video: search the whole frame every N-th processed frame, in between only around tracked faces",
    )
    p.add_argument("--smoothing", choices=["none", "ema", "window"], default="none", help="video: per-track smoothing")


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

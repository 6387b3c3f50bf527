"""The ``fer-sdk`` command: a thin layer over the public API.

Subcommands, one module each family: ``predict`` (images and videos,
:mod:`fer_sdk.cli.predict` and :mod:`fer_sdk.cli.video`), ``batch`` (corpora, see
:mod:`fer_sdk.batch`), ``plugins`` (list components), ``train`` (the training
recipe, flags derived from its config), ``evaluate`` (metrics on a labelled split),
``export`` (a model for a fast CPU runtime: TFLite / LiteRT or ONNX) and the
pictures ``featuremaps`` and ``timeline`` (:mod:`fer_sdk.cli.figures`).
Exit codes: 0 success, 1 when some input could not be processed, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from fer_sdk.cli import batch, evaluate, export, figures, plugins, predict, train
from fer_sdk.cli.common import EXIT_FAILED, EXIT_USAGE

__all__ = ["build_parser", "main"]

#: The subcommand families, in the order ``fer-sdk --help`` lists them.
FAMILIES = (predict, batch, plugins, train, evaluate, export, figures)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``fer-sdk``.

    Examples:
        >>> build_parser().parse_args(["plugins", "--json"]).json
        True
    """
    from fer_sdk import __version__

    parser = argparse.ArgumentParser(prog="fer-sdk", description="Facial emotion recognition.")
    parser.add_argument("--version", action="version", version=f"fer_sdk {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details to stderr, and what dependencies print on start-up"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.register(sub)
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

"""``fer-sdk plugins``: the registered detectors, preprocessors and classifiers, and the default classifier."""

from __future__ import annotations

import argparse
import json

from fer_sdk.cli.common import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plugins`` to the subcommands."""
    p = sub.add_parser("plugins", help="list detectors, preprocessors and classifiers")
    p.add_argument("--json", action="store_true", help="print them as JSON")
    p.set_defaults(func=cmd_plugins)


def _default_classifier() -> tuple[str | None, str]:
    """The classifier the default ``auto`` resolves to here, and why (None and the error when none can)."""
    from fer_sdk.errors import MissingExtraError
    from fer_sdk.runtime import choose_classifier

    try:
        choice = choose_classifier()
    except MissingExtraError as exc:
        return None, str(exc)
    return choice.name, choice.reason


def cmd_plugins(args: argparse.Namespace) -> int:
    """Run ``fer-sdk plugins``."""
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

"""``fer-sdk evaluate``: metrics of a model on a labelled split, and their pictures (:mod:`fer_sdk.evaluation`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_sdk.cli.common import EXIT_OK, EXIT_USAGE
from fer_sdk.decision import DECISION_HELP, DECISION_RULES


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``evaluate`` to the subcommands."""
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
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run ``fer-sdk evaluate``."""
    from fer_sdk.datasets import is_ferplus_split
    from fer_sdk.evaluation import EvaluationReport, VoteEvaluationReport, evaluate, evaluate_votes
    from fer_sdk.figures import require_matplotlib

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
        from fer_sdk.figures import plot_confusion

        plot_confusion(report.confusion, report.labels, args.confusion_png, title=f"{report.split} confusion")
    if args.per_class_png is not None:
        from fer_sdk.figures import plot_per_class

        counts = {name: int(sum(row)) for name, row in zip(report.labels, report.confusion, strict=True)}
        plot_per_class(report.per_class, args.per_class_png, title=f"{report.split} per-class accuracy", counts=counts)
    if args.reliability_png is not None:
        assert isinstance(report, VoteEvaluationReport)  # checked above
        from fer_sdk.figures import plot_reliability

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

"""Choose a model's decision rule: calibrated probabilities against prior-balanced ones, on FER+ votes.

For each model, the network's probabilities on a FER+ split are scored by the
FER+ agreement metrics (:func:`fer_sdk.metrics.vote_metrics`) under the
rules of :mod:`fer_sdk.decision`: ``calibrated`` (the probabilities as they are)
and ``balanced`` (divided by the model's class prior, every emotion equally likely
a priori), plus partial re-weightings ``p / prior**a`` between the two, to show
the trade-off. The rule the project ships as a model's default is the one with
the highest mean of ``majority_accuracy`` and ``balanced_accuracy``. A first line
shows how far the two label sets agree: the FER2013 labels scored as if they were a
model's predictions against the voters, and the voters' most-voted emotion scored
against the FER2013 labels.

    python benchmarks/decision_rule.py --data ../shared/datasets/ferplus --split FER2013Valid \\
        --model fernet_fer7 --model fernet_fer7_fer2013

``--set-prior DATA SPLIT`` first measures each model's class prior (its mean
probabilities on that split's images, e.g. its own training images) and records
it in the model folder's ``metadata.json`` (``class_prior``); ``--set-default``
records the winning rule there (``decision``), which ``decision="auto"`` follows.
Only model folders are written, never the installed package's copy unless the
folder given is the one in the source tree (``fer_sdk/presets/NAME``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from fer_sdk import EmotionRecognizer
from fer_sdk.datasets import FERPLUS_VOTES, FerPlusSplit, is_ferplus_split, load_split, read_ferplus
from fer_sdk.decision import class_prior, rebalance
from fer_sdk.evaluation import predict_probs
from fer_sdk.labels import FER7
from fer_sdk.metrics import vote_metrics

POWERS = (0.0, 0.25, 0.5, 0.75, 1.0)
PRESETS = Path(__file__).resolve().parent.parent / "fer_sdk" / "presets"


def network_probs(model: str, images: np.ndarray) -> np.ndarray:
    """The network's own probabilities (``decision="calibrated"``, float32) for ``(n, 48, 48)`` uint8 crops."""
    rec = EmotionRecognizer(classifier=model, classifier_options={"precision": "float32", "decision": "calibrated"})
    return predict_probs(rec, images, batch_size=512)


def label_conflict(raw: FerPlusSplit) -> str:
    """How far the two label sets agree: each one's scores when the other is predicted perfectly.

    The FER2013 labels, taken as predictions, scored against the voters; and the
    voters' most-voted emotion (of the seven), taken as predictions, scored against
    the FER2013 labels. A model cannot beat both at once on the faces where they differ.
    """
    names = list(FER7)
    known = raw.fer2013 >= 0
    as_fer = vote_metrics(np.eye(len(names))[raw.fer2013[known]], raw.votes[known], names, raw.fer2013[known])
    shares = raw.votes[:, [FERPLUS_VOTES.index(n) for n in names]]
    as_votes = vote_metrics(shares, raw.votes, names, raw.fer2013)
    return (
        f"the FER2013 labels as predictions: vote_acc {as_fer['vote_accuracy']:.4f}, majority_acc "
        f"{as_fer['majority_accuracy']:.4f}; the most-voted emotion as prediction: fer2013_acc "
        f"{as_votes['fer2013_accuracy']:.4f}"
    )


def model_folder(model: str) -> Path:
    path = Path(model)
    return path if path.is_dir() else PRESETS / model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/ferplus"), help="FER+ folder layout")
    ap.add_argument("--split", default="FER2013Valid")
    ap.add_argument("--model", action="append", help="preset name or model folder (repeatable)")
    ap.add_argument("--set-prior", nargs=2, metavar=("DATA", "SPLIT"), help="measure and record the class prior")
    ap.add_argument("--set-default", action="store_true", help="record the best rule as the model's default")
    args = ap.parse_args()
    models = args.model or ["fernet_fer7"]
    if not is_ferplus_split(args.data, args.split):
        raise SystemExit(f"{args.data}/{args.split} is not a FER+ split (no label.csv)")
    raw = read_ferplus(args.data, args.split)
    print(f"{args.data} {args.split}: {len(raw)} faces")
    print(label_conflict(raw))
    for model in models:
        folder = model_folder(model)
        meta_path = folder / "metadata.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        labels = list(meta["labels"])
        if args.set_prior:
            data, split = args.set_prior
            if is_ferplus_split(data, split):
                images = read_ferplus(data, split).images[..., 0]
            else:
                images = load_split(data, split, labels).images[..., 0]
            prior = network_probs(model, images).mean(axis=0)
            meta["class_prior"] = {n: round(float(p), 6) for n, p in zip(labels, prior, strict=True)}
            meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            print(f"{model}: class prior measured on {data} {split} ({len(images)} images) written to {meta_path}")
        probs = network_probs(model, raw.images[..., 0])
        prior_arr = class_prior(meta, labels, model)
        print(f"\n{model}: class prior " + ", ".join(f"{n} {p:.3f}" for n, p in zip(labels, prior_arr, strict=True)))
        header = "rule | vote_acc | majority_acc | balanced_acc | mean(maj, bal) | human_agreement | ece | fer2013_acc"
        print(header)
        print("|".join(" --- " for _ in header.split("|")))
        best: tuple[float, str] = (-1.0, "")
        for power in POWERS:
            name = {0.0: "calibrated", 1.0: "balanced"}.get(power, f"p / prior^{power}")
            m = vote_metrics(rebalance(probs, prior_arr**power), raw.votes, labels, raw.fer2013)
            score = (m["majority_accuracy"] + m["balanced_accuracy"]) / 2
            if power in (0.0, 1.0) and score > best[0]:
                best = (score, name)
            print(
                f"{name} | {m['vote_accuracy']:.4f} | {m['majority_accuracy']:.4f} | {m['balanced_accuracy']:.4f} | "
                f"{score:.4f} | {m['human_agreement']:.4f} | {m['ece']:.4f} | {m['fer2013_accuracy']:.4f}"
            )
        per = vote_metrics(rebalance(probs, prior_arr), raw.votes, labels)["per_class"]
        cal = vote_metrics(probs, raw.votes, labels)["per_class"]
        print("per emotion (calibrated -> balanced): " + ", ".join(f"{n} {cal[n]:.3f}->{per[n]:.3f}" for n in cal))
        print(f"best shipped rule by mean(majority, balanced): {best[1]} ({best[0]:.4f})")
        if args.set_default:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["decision"] = best[1]
            meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            print(f"recorded decision={best[1]!r} in {meta_path}")


if __name__ == "__main__":
    main()

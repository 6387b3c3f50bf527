"""The article's network, reproduced: its PublicTest accuracy beside the article's figures.

Train the ``seed`` architecture on the six-class scheme first::

    fer-sdk train --config fer_sdk/train/recipes/seed_fer6.yaml --data ../shared/datasets/fer2013 --out runs/seed_fer6

then::

    python benchmarks/experiments/reproduce_article.py --model runs/seed_fer6 --data ../shared/datasets/fer2013

The article's figures are what the article reports (58% overall; happy 76.7%,
surprise 69.3%, sad 39.7%); every other number is measured here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fer_sdk.evaluation import evaluate

ARTICLE = {"overall": 0.58, "happy": 0.767, "surprise": 0.693, "sad": 0.397}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=Path("runs/seed_fer6"))
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/fer2013"))
    ap.add_argument("--split", default="PublicTest")
    args = ap.parse_args()
    report = evaluate(args.data, args.split, args.model)
    print(f"model {args.model} on {args.split} ({report.n} images, labels {', '.join(report.labels)})")
    print(f"{'':10s} {'article':>8s} {'measured':>9s}")
    print(f"{'overall':10s} {ARTICLE['overall']:8.1%} {report.accuracy:9.1%}")
    for name, acc in report.per_class.items():
        article = f"{ARTICLE[name]:8.1%}" if name in ARTICLE else f"{'-':>8s}"
        print(f"{name:10s} {article} {acc:9.1%}")
    print(f"macro F1: {report.macro_f1:.3f}")
    sad = report.labels.index("sad")
    row = report.confusion[sad]
    worst = max((v, report.labels[j]) for j, v in enumerate(row) if j != sad)
    print(f"sad faces most often taken for: {worst[1]} ({worst[0]} of {sum(row)})")


if __name__ == "__main__":
    main()

"""Plots as PNG files (needs matplotlib: ``pip install 'fer_sdk[plots]'``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_confusion"]


def plot_confusion(
    confusion: Sequence[Sequence[int]], labels: Sequence[str], path: str | Path, *, title: str = "confusion"
) -> Path:
    """Save a row-normalised confusion matrix (counts and row percentages) as a PNG.

    Examples:
        >>> plot_confusion([[5, 1], [2, 4]], ["happy", "sad"], "/tmp/confusion.png")  # doctest: +SKIP
        PosixPath('/tmp/confusion.png')
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(confusion, dtype=np.int64)
    rows = counts.sum(axis=1, keepdims=True)
    norm = np.divide(counts, rows, out=np.zeros(counts.shape, float), where=rows > 0)
    k = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 * k + 2, 1.0 * k + 1.5), dpi=100)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), labels, rotation=45, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(k):
        for j in range(k):
            colour = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{norm[i, j]:.0%}\n{counts[i, j]}", ha="center", va="center", fontsize=8, color=colour)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path

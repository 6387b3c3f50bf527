"""Training curves as a PNG (needs matplotlib, the ``plots`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fer_sdk.train.config import EpochStats


def plot_history(history: Sequence[EpochStats], path: str | Path) -> Path:
    """Plot loss and accuracy per epoch (training and validation) to ``path``."""
    from fer_sdk.plots import pyplot, save

    plt = pyplot()
    epochs = [h.epoch for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    ax_loss.plot(epochs, [h.loss for h in history], label="train")
    ax_acc.plot(epochs, [h.accuracy for h in history], label="train")
    if any(h.val_accuracy is not None for h in history):
        ax_loss.plot(epochs, [h.val_loss for h in history], label="validation")
        ax_acc.plot(epochs, [h.val_accuracy for h in history], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    return save(fig, path)

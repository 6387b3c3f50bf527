"""What a run leaves after each epoch: the printed line, ``history.csv`` and the checkpoints ``resume`` reads.

The files, under the run's folder::

    history.csv               one row of EpochStats per epoch (the chief only)
    checkpoints/last.keras    the model with its optimizer state, after the last epoch
    checkpoints/best.weights.h5   the weights of the best epoch (validation accuracy, else accuracy)
    checkpoints/state.json    {"epoch": ..., "best": ..., "history": [...]}: where to resume
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fer_sdk.train.config import EpochStats

if TYPE_CHECKING:
    from fer_sdk.train.context import RunContext

CHECKPOINTS = "checkpoints"
LAST_MODEL = "last.keras"
BEST_WEIGHTS = "best.weights.h5"
STATE_FILE = "state.json"
HISTORY_CSV = "history.csv"


@dataclass(frozen=True)
class ResumeState:
    """Where an interrupted run stands: its last finished epoch and the history up to it."""

    epoch: int
    history: list[EpochStats]

    @classmethod
    def read(cls, checkpoints: Path) -> ResumeState:
        """Read ``state.json`` in the folder ``checkpoints``."""
        state = json.loads((checkpoints / STATE_FILE).read_text(encoding="utf-8"))
        return cls(int(state["epoch"]), [EpochStats.model_validate(h) for h in state["history"]])


def write_state(checkpoints: Path, best: float, history: Sequence[EpochStats]) -> None:
    """Write ``state.json``: the last epoch of ``history``, the best score so far and the history."""
    state = {"epoch": history[-1].epoch, "best": best, "history": [h.model_dump() for h in history]}
    (checkpoints / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")


def write_history_csv(path: Path, history: Sequence[EpochStats]) -> None:
    """Write ``history`` as CSV: a header of the EpochStats fields, one row per epoch, ``None`` as empty.

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "history.csv"
        >>> write_history_csv(path, [EpochStats(epoch=1, seconds=2.0, images_per_second=9.5, loss=1.2, accuracy=0.5)])
        >>> print(path.read_text(), end="")
        epoch,seconds,images_per_second,loss,accuracy,val_loss,val_accuracy,learning_rate
        1,2.0,9.5,1.2,0.5,,,
    """
    fields = list(EpochStats.model_fields)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(fields) + "\n")
        for h in history:
            fh.write(",".join("" if getattr(h, f) is None else str(getattr(h, f)) for f in fields) + "\n")


def epoch_line(stats: EpochStats) -> str:
    """The line printed after an epoch.

    Examples:
        >>> epoch_line(EpochStats(epoch=3, seconds=2.04, images_per_second=870.6, loss=0.73, accuracy=0.65,
        ...                       val_loss=0.67, val_accuracy=0.67, learning_rate=1e-3))
        'epoch 3: 2.0s 871 img/s loss 0.7300 acc 0.6500 val_loss 0.6700 val_acc 0.6700 lr 1.00e-03'
    """
    val = "" if stats.val_accuracy is None else f" val_loss {stats.val_loss:.4f} val_acc {stats.val_accuracy:.4f}"
    return (
        f"epoch {stats.epoch}: {stats.seconds:.1f}s {stats.images_per_second:.0f} img/s "
        f"loss {stats.loss:.4f} acc {stats.accuracy:.4f}{val} lr {stats.learning_rate:.2e}"
    )


def epoch_recorder(ctx: RunContext, history: list[EpochStats]) -> Any:
    """Keras callback: timings, per-epoch log, checkpoints for ``resume``, best weights.

    It appends each epoch's :class:`EpochStats` to ``history`` (which holds the
    resumed epochs, if any) and writes ``checkpoints/`` under ``ctx.work`` (on a
    non-chief worker: a temporary folder); ``history.csv`` is written by the chief only.
    """
    import keras

    class Recorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ckpt = ctx.work / CHECKPOINTS
            self.best = max((h.val_accuracy or -1.0 for h in history), default=-1.0)
            self.t0 = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = dict(logs or {})
            seconds = time.perf_counter() - self.t0
            lr = self.model.optimizer.learning_rate
            stats = EpochStats(
                epoch=epoch + 1,
                seconds=round(seconds, 2),
                images_per_second=round(len(ctx.train_ds) / max(seconds, 1e-9), 1),
                loss=float(logs.get("loss", float("nan"))),
                accuracy=float(logs.get("accuracy", float("nan"))),
                val_loss=float(logs["val_loss"]) if "val_loss" in logs else None,
                val_accuracy=float(logs["val_accuracy"]) if "val_accuracy" in logs else None,
                learning_rate=float(np.asarray(lr)),
            )
            history.append(stats)
            ctx.worker.say(epoch_line(stats))
            self.ckpt.mkdir(parents=True, exist_ok=True)
            self.model.save(self.ckpt / LAST_MODEL)
            score = stats.val_accuracy if stats.val_accuracy is not None else stats.accuracy
            if score > self.best:
                self.best = score
                self.model.save_weights(self.ckpt / BEST_WEIGHTS)
            write_state(self.ckpt, self.best, history)
            if ctx.worker.chief:
                write_history_csv(ctx.work / HISTORY_CSV, history)

    return Recorder()

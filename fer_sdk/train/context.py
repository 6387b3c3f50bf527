"""What one training run knows, handed from step to step instead of long argument lists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fer_sdk.datasets import Dataset
from fer_sdk.train.config import TrainConfig

if TYPE_CHECKING:
    from fer_sdk.train.distribute import Worker


@dataclass
class RunContext:
    """The config, this process's place in the cluster, its folder and the data of one run.

    Built by :func:`fer_sdk.train.train` once the data are loaded; the pipeline,
    the callbacks, the multi-worker loop and the report read what they need from it.

    Attributes:
        cfg: the run's configuration.
        worker: the ``tf.distribute`` strategy and this process's place in the cluster.
        work: where this process writes: ``cfg.out`` on the chief, a temporary folder on
            the other workers of a cluster.
        precision: the Keras dtype policy the model trains in (``float32`` for averaging
            and ensembles).
        train_ds: the training images.
        val_ds: the validation images, if any.
        class_weights: per-class loss weights (``cfg.class_weight``), or ``None``.
        soft_targets: a teacher's probabilities for ``train_ds`` (``cfg.teacher``), or ``None``.

    Examples:
        >>> import numpy as np
        >>> from pathlib import Path
        >>> from fer_sdk.datasets import Dataset
        >>> from fer_sdk.train.distribute import Worker
        >>> ds = Dataset(np.zeros((40, 48, 48, 1), np.uint8), np.zeros(40, np.int32), ("happy", "sad"))
        >>> ctx = RunContext(TrainConfig(data=".", batch_size=16), Worker(None), Path("runs/x"), "float32", ds, None)
        >>> ctx.names, ctx.steps, ctx.shape
        (['happy', 'sad'], 2, (48, 48, 1))
    """

    cfg: TrainConfig
    worker: Worker
    work: Path
    precision: str
    train_ds: Dataset
    val_ds: Dataset | None
    class_weights: np.ndarray | None = None
    soft_targets: np.ndarray | None = None

    @property
    def out(self) -> Path:
        """The output folder of the run (written by the chief only)."""
        return Path(self.cfg.out)

    @property
    def names(self) -> list[str]:
        """The label names, in the model's output order."""
        return list(self.train_ds.names)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The model's input shape: ``(size, size, 1)``."""
        return (self.cfg.input_size, self.cfg.input_size, 1)

    @property
    def steps(self) -> int:
        """Optimizer steps in one epoch: full global batches of the training set."""
        return len(self.train_ds) // self.cfg.batch_size

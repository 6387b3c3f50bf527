"""fer_sdk.train: the training recipe that produced the shipped model.

:func:`train` is imported on first use (it needs TensorFlow: ``pip install "fer_sdk[tensorflow]"``),
so that the ``fer-sdk`` command, which builds its ``train`` options from here, starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fer_sdk.train.config import TrainConfig, TrainReport

if TYPE_CHECKING:
    from fer_sdk.train.loop import train

__all__ = ["TrainConfig", "TrainReport", "train"]


def __getattr__(name: str) -> Any:
    if name == "train":
        from fer_sdk.train.loop import train

        return train
    raise AttributeError(f"module 'fer_sdk.train' has no attribute {name!r}")

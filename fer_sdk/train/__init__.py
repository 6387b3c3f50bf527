"""fer_sdk.train: the training recipe that produced the shipped model."""

from fer_sdk.train.config import TrainConfig, TrainReport
from fer_sdk.train.loop import train

__all__ = ["TrainConfig", "TrainReport", "train"]

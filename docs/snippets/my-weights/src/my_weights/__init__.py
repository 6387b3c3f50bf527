"""my-weights: a trained model folder in a Python package, as a classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fer_sdk

# The model folder written by fer_sdk.train (model.keras + metadata.json), copied into
# the package.
MODEL_DIR = Path(__file__).resolve().parent / "model"


def our_model(**options: Any) -> fer_sdk.EmotionClassifier:
    """Our emotion model (a fer_sdk.train model folder shipped in this package)."""
    from fer_sdk.builtin.keras_cnn import (
        KerasClassifier,
    )  # imported on use: listing plugins stays fast

    return KerasClassifier(model=str(MODEL_DIR), **options)


@fer_sdk.hookimpl
def register_classifiers(register: fer_sdk.hookspecs.Register) -> None:
    """Make the model available as ``EmotionRecognizer(classifier="our-model")``."""
    register(our_model, name="our-model")

"""Decision rules: how a classifier turns its network's output into the scores it reports.

A network trained on human votes learns how often people use each emotion: its
probabilities are *calibrated* (a score of 0.7 for ``happy`` means that about 7
voters in 10 would say happy), and rare emotions (disgust, fear, anger) rarely
come out on top. The *balanced* rule divides each probability by the model's
own class prior (its mean output on its training images, stored in its
metadata as ``class_prior``) and renormalises: the scores a model would give if
every emotion were equally likely a priori. Rare emotions are found more often,
at the cost of some agreement with the majority of voters. The model card
measures both.

Examples:
    >>> import numpy as np
    >>> probs = np.array([[0.6, 0.4]])
    >>> [round(float(p), 3) for p in rebalance(probs, np.array([0.75, 0.25]))[0]]
    [0.333, 0.667]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from fer_sdk.errors import ModelLoadError

if TYPE_CHECKING:
    from fer_sdk.preset import PresetMetadata

DecisionRule = Literal["auto", "calibrated", "balanced"]
DECISION_RULES: tuple[str, ...] = ("auto", "calibrated", "balanced")
DECISION_HELP = (
    "calibrated: the network's probabilities (under the emotions' frequencies in its training data); "
    "balanced: divided by the model's class prior and renormalised (every emotion equally likely a priori; "
    "rare emotions found more often); auto: the rule the model's metadata names as its default, else calibrated"
)


def rebalance(probs: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``probs / prior``, each row renormalised to sum to 1 (float32)."""
    weighted = np.asarray(probs, dtype=np.float64) / np.maximum(np.asarray(prior, dtype=np.float64), 1e-6)
    return (weighted / np.maximum(weighted.sum(axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _value(metadata: Mapping[str, object] | PresetMetadata, key: str) -> object:
    """``metadata[key]`` of a parsed ``metadata.json`` or a :class:`~fer_sdk.preset.PresetMetadata` (None if absent)."""
    return metadata.get(key) if isinstance(metadata, Mapping) else getattr(metadata, key, None)


def resolve_rule(rule: str, metadata: Mapping[str, object] | PresetMetadata) -> str:
    """``auto`` becomes the metadata's ``decision`` (else ``calibrated``); others are returned as they are.

    Examples:
        >>> resolve_rule("auto", {"decision": "balanced"}), resolve_rule("calibrated", {"decision": "balanced"})
        ('balanced', 'calibrated')
    """
    if rule == "auto":
        named = _value(metadata, "decision")
        return named if isinstance(named, str) and named in ("calibrated", "balanced") else "calibrated"
    return rule


def class_prior(metadata: Mapping[str, object] | PresetMetadata, labels: Sequence[str], where: str) -> np.ndarray:
    """The ``class_prior`` of a model's metadata as an array in label order.

    Raises:
        ModelLoadError: the metadata has no prior for every label (a model trained
            before fer_sdk 0.2 lacks it: retrain, or use ``decision="calibrated"``).
    """
    prior = _value(metadata, "class_prior")
    if not isinstance(prior, Mapping) or any(name not in prior for name in labels):
        raise ModelLoadError(
            f"{where}: decision='balanced' needs the model's class_prior in its metadata, which this model "
            "lacks; use decision='calibrated' or a model trained by fer_sdk 0.2 or later"
        )
    values = np.array([float(prior[name]) for name in labels], dtype=np.float64)
    if not np.all(values > 0):
        raise ModelLoadError(f"{where}: class_prior must be positive for every label, got {dict(prior)}")
    return values / values.sum()

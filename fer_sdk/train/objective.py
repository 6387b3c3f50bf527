"""What a model is trained to do: the loss, the learning-rate schedule and the optimizer it is compiled with."""

from __future__ import annotations

from typing import Any

import numpy as np

from fer_sdk.train.config import TrainConfig


def lr_schedule(cfg: TrainConfig, steps_per_epoch: int) -> Any:
    """Linear warm-up, then cosine decay to zero at the last step of ``cfg.epochs``."""
    import keras

    total = max(1, cfg.epochs * steps_per_epoch)
    warmup = min(int(cfg.warmup_epochs * steps_per_epoch), total // 4)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.learning_rate * (0.05 if warmup else 1.0),
        decay_steps=max(1, total - warmup),
        alpha=0.0,
        warmup_target=cfg.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


_LOGIT_ADJUSTED: Any = None


def logit_adjusted_class() -> Any:
    """The Keras loss class of the logit-adjusted cross-entropy (made once; registered for saving)."""
    global _LOGIT_ADJUSTED
    if _LOGIT_ADJUSTED is None:
        import keras
        from keras import ops

        @keras.saving.register_keras_serializable(package="fer_sdk")
        class LogitAdjustedCrossentropy(keras.losses.Loss):
            """Cross-entropy of ``log p + shift`` (``shift = tau * log prior``), with label smoothing."""

            def __init__(self, shift: list[float], label_smoothing: float = 0.0, **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self.shift = [float(v) for v in shift]
                self.label_smoothing = float(label_smoothing)

            def call(self, y_true: Any, y_pred: Any) -> Any:
                logits = ops.log(ops.maximum(ops.cast(y_pred, "float32"), 1e-7)) + ops.array(self.shift)
                if self.label_smoothing:
                    k = len(self.shift)
                    y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / k
                return keras.losses.categorical_crossentropy(y_true, logits, from_logits=True)

            def get_config(self) -> dict[str, Any]:
                return {**super().get_config(), "shift": self.shift, "label_smoothing": self.label_smoothing}

        _LOGIT_ADJUSTED = LogitAdjustedCrossentropy
    return _LOGIT_ADJUSTED


def make_loss(cfg: TrainConfig, prior: np.ndarray | None) -> Any:
    """Cross-entropy with label smoothing; with ``cfg.logit_adjustment`` the logit-adjusted form."""
    import keras

    if not cfg.logit_adjustment or prior is None:
        return keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
    shift = cfg.logit_adjustment * np.log(np.maximum(prior, 1e-6))
    return logit_adjusted_class()(shift=shift.tolist(), label_smoothing=cfg.label_smoothing)


def compile_model(model: Any, cfg: TrainConfig, steps_per_epoch: int, prior: np.ndarray | None = None) -> None:
    """Compile ``model`` for training: AdamW on :func:`lr_schedule`, the loss of :func:`make_loss`, accuracy.

    Weight decay spares the batch-norm parameters and the biases; ``prior`` (the
    training set's share of each label) is what ``cfg.logit_adjustment`` adjusts for.
    """
    import keras

    optimizer = keras.optimizers.AdamW(learning_rate=lr_schedule(cfg, steps_per_epoch), weight_decay=cfg.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["bn", "bias", "beta", "gamma"])
    model.compile(
        optimizer=optimizer,
        loss=make_loss(cfg, prior),
        metrics=["accuracy"],
        jit_compile=cfg.xla,
    )

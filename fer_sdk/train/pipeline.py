"""The input pipeline: the training and validation sets a config names, as ``tf.data`` datasets.

:func:`load_training_data` reads the images (class folders, the FER2013 splits or
FER+ votes); :func:`make_dataset` turns them into batches: cached, shuffled or drawn by
class (``cfg.sampling``), augmented, with a teacher's soft targets and per-class loss
weights (:func:`class_loss_weights`) mixed in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fer_sdk.datasets import Dataset, load_class_folders, load_split
from fer_sdk.errors import DatasetError
from fer_sdk.train.config import TrainConfig


def class_loss_weights(ds: Dataset, mode: str) -> np.ndarray:
    """Per-class loss weights for ``cfg.class_weight``: inverse frequency, its square root (``sqrt``) or ones.

    Scaled so that the mean weight over the training images is 1.

    Examples:
        >>> ds = Dataset(np.zeros((4, 48, 48, 1), np.uint8), np.array([0, 0, 0, 1], np.int32), ("a", "b"))
        >>> [round(float(w), 3) for w in class_loss_weights(ds, "balanced")]
        [0.667, 2.0]
    """
    counts = np.maximum(ds.prior() * len(ds), 1.0)
    weights = counts.sum() / (len(counts) * counts)
    if mode == "sqrt":
        weights = np.sqrt(weights)
    elif mode == "none":
        weights = np.ones_like(weights)
    return (weights / np.average(weights, weights=counts)).astype(np.float32)


def draw_probabilities(ds: Dataset, mode: str) -> np.ndarray:
    """Per-image drawing probabilities for ``sampling`` ``balanced`` (each class alike) or ``sqrt``."""
    share = np.maximum(ds.prior(), 1e-12)
    per_class = 1.0 / share if mode == "balanced" else 1.0 / np.sqrt(share)
    w = per_class[ds.labels]
    return (w / w.sum()).astype(np.float64)


def make_dataset(
    ds: Dataset,
    cfg: TrainConfig,
    *,
    training: bool,
    class_weights: np.ndarray | None = None,
    batch_size: int | None = None,
    shard: tuple[int, int] | None = None,
    repeat: bool = False,
    soft_targets: np.ndarray | None = None,
) -> Any:
    """A ``tf.data`` pipeline: decoded once, cached, shuffled, batched, augmented, prefetched.

    Args:
        ds: the images and labels.
        cfg: shuffling seed, batch size and augmentation.
        training: shuffle, drop the last partial batch, augment and add class weights.
        class_weights: per-class loss weights (training only).
        batch_size: batch size (default ``cfg.batch_size``; a per-replica size under a strategy).
        shard: ``(number of shards, this shard)``: keep only this input pipeline's share
            of the examples (multi-worker training shards by hand, auto-sharding is off).
        repeat: repeat forever (the caller counts the steps of an epoch).
        soft_targets: a teacher's probabilities ``(n, classes)`` for ``ds``'s images: each
            target becomes ``(1 - cfg.teacher_weight) * label + cfg.teacher_weight * soft``
            (training only; see :func:`teacher_targets`).
    """
    import tensorflow as tf

    from fer_sdk.train.augment import augment_batch

    n_classes = len(ds.names)
    soft = soft_targets if training and soft_targets is not None else None
    if soft is not None and soft.shape != (len(ds), n_classes):
        raise ValueError(f"soft_targets has shape {soft.shape}, expected {(len(ds), n_classes)}")
    targets = ds.targets if ds.targets is not None else np.eye(n_classes, dtype=np.float32)[ds.labels]
    tensors: tuple[np.ndarray, ...] = (ds.images, targets.astype(np.float32))
    if soft is not None:
        tensors = (*tensors, soft.astype(np.float32))
    data = tf.data.Dataset.from_tensor_slices(tensors)
    if shard is not None:
        data = data.shard(*shard)
    data = data.cache()
    if training and cfg.sampling != "shuffle":
        # each epoch draws len(ds) images with replacement, rare classes more often
        logits = tf.constant(np.log(draw_probabilities(ds, cfg.sampling))[None, :], tf.float32)
        table = data.batch(len(ds)).get_single_element()
        seeds = tf.data.Dataset.random(seed=cfg.seed, rerandomize_each_iteration=True)
        pick = seeds.map(lambda s: tf.random.stateless_categorical(logits, 1, tf.stack([s, s // 7 + 1]))[0, 0])
        data = pick.map(lambda i: tuple(t[i] for t in table))
        if not repeat:
            data = data.take(len(ds) if shard is None else len(ds) // shard[0])
    elif training:
        data = data.shuffle(len(ds), seed=cfg.seed, reshuffle_each_iteration=True)
    if repeat:
        data = data.repeat()
    data = data.batch(batch_size or cfg.batch_size, drop_remainder=training)
    weights = tf.constant(class_weights if class_weights is not None else np.ones(n_classes, np.float32))
    sample = training and ds.sample_targets

    def prepare(images: Any, y: Any, teacher: Any = None) -> Any:
        x = tf.cast(images, tf.float32) / 255.0
        if training:
            x = augment_batch(x, cfg.augment)
        if sample:  # FER+ probability mode: one label drawn from the votes
            drawn = tf.random.categorical(tf.math.log(tf.maximum(y, 1e-12)), 1)[:, 0]
            y = tf.one_hot(drawn, n_classes)
        if teacher is not None:
            y = (1.0 - cfg.teacher_weight) * y + cfg.teacher_weight * teacher
        if training and class_weights is not None:
            return x, y, tf.reduce_sum(y * weights, axis=-1)
        return x, y

    data = data.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy
    options.experimental_distribute.auto_shard_policy = policy.OFF if shard is not None else policy.DATA
    return data.with_options(options).prefetch(tf.data.AUTOTUNE)


def load_training_data(cfg: TrainConfig) -> tuple[Dataset, Dataset | None]:
    """Load the training and validation sets the config names.

    FER+ data (a folder whose splits hold ``label.csv``, or ``fer2013new.csv`` with
    ``cfg.fer2013_csv``) gets targets by ``cfg.label_mode`` for training; its
    validation set keeps the plain vote distributions (``crossentropy``, no FER2013
    label), so the best epoch is the one that agrees most with the voters.
    """
    from fer_sdk.datasets import is_ferplus_split, read_ferplus, read_ferplus_csv
    from fer_sdk.train.ferplus import ferplus_dataset

    size = cfg.input_size
    ferplus_csv = cfg.fer2013_csv is not None
    if ferplus_csv or is_ferplus_split(cfg.data, cfg.train_split):
        if cfg.train_split is None:
            raise DatasetError("FER+ data needs train_split (FER2013Train, or Training with fer2013new.csv)")

        def read(split: str) -> Any:
            if ferplus_csv:
                return read_ferplus_csv(cfg.data, cfg.fer2013_csv or "", split)
            return read_ferplus(cfg.data, split, size=size)

        train_ds = ferplus_dataset(
            read(cfg.train_split),
            cfg.labels,
            cfg.label_mode,
            fer2013_weight=cfg.fer2013_weight,
            fer2013_weight_split=cfg.fer2013_weight_split,
            where=str(cfg.data),
        )
        plus_val: Dataset | None
        if cfg.val_data is not None:
            plus_val = load_class_folders(cfg.val_data, list(train_ds.names), size=size, on_error=cfg.on_error)
        else:
            plus_val = (
                ferplus_dataset(read(cfg.val_split), cfg.labels, "crossentropy", where=str(cfg.data))
                if cfg.val_split is not None
                else None
            )
        return train_ds, plus_val
    train_ds = load_split(cfg.data, cfg.train_split, cfg.labels, size=size, on_error=cfg.on_error)
    val_ds: Dataset | None = None
    if cfg.val_data is not None:
        val_ds = load_class_folders(cfg.val_data, list(train_ds.names), size=size, on_error=cfg.on_error)
    elif cfg.val_split is not None:
        val_ds = load_split(cfg.data, cfg.val_split, list(train_ds.names), size=size, on_error=cfg.on_error)
    if val_ds is not None and val_ds.names != train_ds.names:
        raise DatasetError(f"validation labels {val_ds.names} differ from training labels {train_ds.names}")
    return train_ds, val_ds

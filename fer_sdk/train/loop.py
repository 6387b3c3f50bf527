"""The training loop behind :func:`fer_sdk.train.train`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.builtin.keras_cnn import (
    METADATA_FILE,
    METADATA_FORMAT,
    MODEL_FILE,
    KerasClassifier,
    cpu_supports_bf16,
    sha256_file,
)
from fer_sdk.datasets import Dataset, load_class_folders, load_split
from fer_sdk.errors import DatasetError, ModelLoadError
from fer_sdk.train.config import EpochStats, TrainConfig, TrainReport

logger = logging.getLogger(__name__)


def choose_precision(requested: str) -> str:
    """Resolve ``"auto"``: float16 on GPUs, bfloat16 on CPUs with bf16 units, else float32."""
    if requested != "auto":
        return requested
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_supports_bf16() else "float32"


TF_CONFIG_TASK_TYPES = ("chief", "worker", "evaluator")


def read_tf_config(value: str | None = None) -> dict[str, Any]:
    """Parse and check a ``TF_CONFIG`` (default: the environment variable) for multi-worker training.

    ``TF_CONFIG`` is TensorFlow's description of the cluster and of the task this
    process plays in it: ``{"cluster": {"worker": ["host:port", ...]}, "task":
    {"type": "worker", "index": 0}}``. Every machine gets the same ``cluster`` and
    its own ``task``; worker 0 (or the ``chief``, when the cluster has one) writes
    the output folder.

    Returns:
        The parsed mapping, unchanged.

    Raises:
        ValueError: the variable is unset, not JSON or does not describe a
            cluster ``MultiWorkerMirroredStrategy`` can run (the message says what is wrong).

    Examples:
        >>> text = '{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}'
        >>> read_tf_config(text)["task"]
        {'type': 'worker', 'index': 1}
    """
    text = os.environ.get("TF_CONFIG") if value is None else value
    if not text:
        raise ValueError("distribute: multi_worker needs the TF_CONFIG environment variable (see the docs)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"TF_CONFIG is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cluster"), dict) or not raw["cluster"]:
        raise ValueError('TF_CONFIG needs a "cluster" mapping such as {"worker": ["host1:2222", "host2:2222"]}')
    cluster: dict[str, Any] = raw["cluster"]
    for task_type, addresses in cluster.items():
        if task_type not in TF_CONFIG_TASK_TYPES:
            raise ValueError(
                f"TF_CONFIG cluster has task type {task_type!r}; MultiWorkerMirroredStrategy takes "
                f"{', '.join(TF_CONFIG_TASK_TYPES)}"
            )
        if not isinstance(addresses, list) or not addresses:
            raise ValueError(f"TF_CONFIG cluster[{task_type!r}] must be a non-empty list of 'host:port'")
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"TF_CONFIG cluster[{task_type!r}]: {address!r} is not 'host:port'")
    if not any(t in cluster for t in ("chief", "worker")):
        raise ValueError('TF_CONFIG cluster needs "worker" (and optionally "chief") addresses')
    if len(cluster.get("chief", [])) > 1:
        raise ValueError("TF_CONFIG cluster can have at most one chief")
    task = raw.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ValueError('TF_CONFIG needs a "task" such as {"type": "worker", "index": 0}')
    if task["type"] not in cluster:
        raise ValueError(f"TF_CONFIG task type {task['type']!r} is not in the cluster ({sorted(cluster)})")
    index = task["index"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[task["type"]]):
        raise ValueError(
            f"TF_CONFIG task index {index!r} is out of range for {len(cluster[task['type']])} {task['type']}(s)"
        )
    return raw


def choose_strategy(requested: str) -> Any:
    """The ``tf.distribute`` strategy for ``requested`` (``auto`` looks at TF_CONFIG and the GPUs).

    ``multi_worker`` checks ``TF_CONFIG`` with :func:`read_tf_config` and lets
    TensorFlow pick the collectives (NCCL between GPUs, ring all-reduce over gRPC
    between CPUs).
    """
    import tensorflow as tf

    if requested == "auto":
        if os.environ.get("TF_CONFIG"):
            requested = "multi_worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            requested = "mirrored"
        else:
            requested = "none"
    if requested == "multi_worker":
        read_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if requested == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _is_multi_worker(strategy: Any) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _is_chief(strategy: Any) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return bool(resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0))


def _task_name(strategy: Any) -> str:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return "local"
    return f"{resolver.task_type}{resolver.task_id}"


def _class_weights(ds: Dataset, mode: str) -> np.ndarray:
    counts = np.maximum(ds.prior() * len(ds), 1.0)
    weights = counts.sum() / (len(counts) * counts)
    if mode == "sqrt":
        weights = np.sqrt(weights)
    elif mode == "none":
        weights = np.ones_like(weights)
    return (weights / np.average(weights, weights=counts)).astype(np.float32)


def _sample_weights(ds: Dataset, mode: str) -> np.ndarray:
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
        logits = tf.constant(np.log(_sample_weights(ds, cfg.sampling))[None, :], tf.float32)
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
            read(cfg.train_split), cfg.labels, cfg.label_mode, fer2013_weight=cfg.fer2013_weight, where=str(cfg.data)
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


def _epoch_recorder(out: Path, n_train: int, chief: bool, history: list[EpochStats], prefix: str = "") -> Any:
    """Keras callback: timings, per-epoch log, checkpoints for ``resume``, best weights.

    ``out`` receives ``checkpoints/`` (on a non-chief worker: a temporary folder);
    ``history.csv`` is written by the chief only. ``prefix`` starts each printed line.
    """
    import keras

    class Recorder(keras.callbacks.Callback):
        def __init__(self, out: Path, n_train: int, chief: bool, history: list[EpochStats], prefix: str) -> None:
            super().__init__()
            self.out, self.n_train, self.chief, self.history = out, n_train, chief, history
            self.prefix = prefix
            self.ckpt = out / "checkpoints"
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
                images_per_second=round(self.n_train / max(seconds, 1e-9), 1),
                loss=float(logs.get("loss", float("nan"))),
                accuracy=float(logs.get("accuracy", float("nan"))),
                val_loss=float(logs["val_loss"]) if "val_loss" in logs else None,
                val_accuracy=float(logs["val_accuracy"]) if "val_accuracy" in logs else None,
                learning_rate=float(np.asarray(lr)),
            )
            self.history.append(stats)
            val = (
                "" if stats.val_accuracy is None else f" val_loss {stats.val_loss:.4f} val_acc {stats.val_accuracy:.4f}"
            )
            print(
                f"{self.prefix}epoch {stats.epoch}: {stats.seconds:.1f}s {stats.images_per_second:.0f} img/s "
                f"loss {stats.loss:.4f} acc {stats.accuracy:.4f}{val} lr {stats.learning_rate:.2e}",
                flush=True,
            )
            target = self.ckpt
            target.mkdir(parents=True, exist_ok=True)
            self.model.save(target / "last.keras")
            score = stats.val_accuracy if stats.val_accuracy is not None else stats.accuracy
            if score > self.best:
                self.best = score
                self.model.save_weights(target / "best.weights.h5")
            state = {"epoch": stats.epoch, "best": self.best, "history": [h.model_dump() for h in self.history]}
            (target / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
            if self.chief:
                with (self.out / "history.csv").open("w", encoding="utf-8") as fh:
                    fields = list(EpochStats.model_fields)
                    fh.write(",".join(fields) + "\n")
                    for h in self.history:
                        fh.write(",".join("" if getattr(h, f) is None else str(getattr(h, f)) for f in fields) + "\n")

    return Recorder(out, n_train, chief, history, prefix)


def _schedule(cfg: TrainConfig, steps_per_epoch: int) -> Any:
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


def _logit_adjusted_class() -> Any:
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


def _loss(cfg: TrainConfig, prior: np.ndarray | None) -> Any:
    """Cross-entropy with label smoothing; with ``cfg.logit_adjustment`` the logit-adjusted form."""
    import keras

    if not cfg.logit_adjustment or prior is None:
        return keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing)
    shift = cfg.logit_adjustment * np.log(np.maximum(prior, 1e-6))
    return _logit_adjusted_class()(shift=shift.tolist(), label_smoothing=cfg.label_smoothing)


def _compile(model: Any, cfg: TrainConfig, steps_per_epoch: int, prior: np.ndarray | None = None) -> None:
    import keras

    optimizer = keras.optimizers.AdamW(learning_rate=_schedule(cfg, steps_per_epoch), weight_decay=cfg.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["bn", "bias", "beta", "gamma"])
    model.compile(
        optimizer=optimizer,
        loss=_loss(cfg, prior),
        metrics=["accuracy"],
        jit_compile=cfg.xla,
    )


def _fit_multi_worker(
    model: Any,
    strategy: Any,
    cfg: TrainConfig,
    train_ds: Dataset,
    val_ds: Dataset | None,
    class_weights: np.ndarray | None,
    steps: int,
    initial_epoch: int,
    callbacks: list[Any],
    soft_targets: np.ndarray | None = None,
) -> None:
    """``model.fit`` for ``MultiWorkerMirroredStrategy``: a custom synchronous training loop.

    Keras 3's ``model.fit`` fails under this strategy (``Attempt to convert a value
    (PerReplica...) with an unsupported type``, keras-team/keras#20585), so each step
    runs ``strategy.run`` on a per-replica batch; the Keras optimizer all-reduces
    the gradients, so every replica applies the same update. Each worker reads its
    own shard of the training set (``distribute_datasets_from_function``), repeated,
    for exactly ``steps`` steps per epoch, so no worker waits for another at an
    epoch's end. At each epoch's end the non-trainable float variables (batch-norm
    moving statistics) are averaged over the replicas, so every worker holds the
    same weights. Loss and accuracy are summed over all replicas; validation runs on
    the whole validation set on every worker (the weights are the same everywhere).
    The callbacks (checkpoints, early stopping) get the same ``logs`` as under ``fit``.
    """
    import keras
    import tensorflow as tf

    from fer_sdk.evaluation import predict_probs

    replicas = strategy.num_replicas_in_sync
    global_batch = cfg.batch_size
    if global_batch % replicas:
        raise ValueError(f"batch_size {global_batch} must be a multiple of the {replicas} replicas in the cluster")
    if cfg.xla:
        logger.warning("xla is ignored under distribute: multi_worker")
    if steps < 1:
        raise DatasetError(f"{len(train_ds)} training images make no full batch of {global_batch}")

    def dataset_fn(ctx: Any) -> Any:
        return make_dataset(
            train_ds,
            cfg,
            training=True,
            class_weights=class_weights,
            batch_size=ctx.get_per_replica_batch_size(global_batch),
            shard=(ctx.num_input_pipelines, ctx.input_pipeline_id),
            repeat=True,
            soft_targets=soft_targets,
        )

    # every worker must start from the same epoch, or the first collective would wait forever
    @tf.function
    def mean_over_workers(value: Any) -> Any:
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: tf.identity(value)), axis=None)

    mean, mean_sq = mean_over_workers(tf.constant([initial_epoch, initial_epoch**2], tf.float32)).numpy()
    if mean_sq - mean * mean > 1e-6:
        raise RuntimeError(
            f"the workers resume from different epochs (this one: {initial_epoch}); with resume=True every "
            f"worker must see the chief's {Path(cfg.out) / 'checkpoints'} (a shared folder)"
        )

    iterator = iter(strategy.distribute_datasets_from_function(dataset_fn))
    optimizer = model.optimizer
    with strategy.scope():
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing, reduction=None)

    def replica_step(batch: Any) -> tuple[Any, Any, Any]:
        x, y = batch[0], batch[1]
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            per_example = loss_fn(y, probs)
            if len(batch) == 3:
                per_example = per_example * batch[2]
            # the mean over the global batch: the all-reduced (summed) gradients are the global mean's
            loss = tf.reduce_sum(per_example) / global_batch
            if model.losses:
                loss += tf.add_n(model.losses) / replicas
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        correct = tf.cast(tf.argmax(probs, axis=-1) == tf.argmax(y, axis=-1), tf.float32)
        return tf.reduce_sum(per_example), tf.reduce_sum(correct), tf.cast(tf.shape(x)[0], tf.float32)

    @tf.function
    def train_step(it: Any) -> Any:
        sums = strategy.run(replica_step, args=(next(it),))
        return tf.stack([strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in sums])

    # batch-norm moving statistics are updated by each replica from its own batches: average them
    synced = [v for v in model.non_trainable_variables if "float" in str(v.dtype)]

    @tf.function
    def sync_non_trainable() -> None:
        local = strategy.run(lambda: [tf.identity(v.value) for v in synced])
        for var, value in zip(synced, local, strict=True):
            var.assign(strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None))

    val_x = val_ds.images.astype(np.float32) / 255.0 if val_ds is not None else None
    val_y = None
    if val_ds is not None:
        val_y = (
            val_ds.targets
            if val_ds.targets is not None
            else np.eye(len(train_ds.names), dtype=np.float32)[val_ds.labels]
        )
    cb = keras.callbacks.CallbackList(callbacks, model=model)
    model.stop_training = False
    cb.on_train_begin()
    for epoch in range(initial_epoch, cfg.epochs):
        cb.on_epoch_begin(epoch)
        totals = tf.zeros(3)
        for _ in range(steps):
            totals += train_step(iterator)
        if synced:
            sync_non_trainable()
        loss_sum, correct, seen = (float(v) for v in totals.numpy())
        logs: dict[str, float] = {"loss": loss_sum / max(seen, 1.0), "accuracy": correct / max(seen, 1.0)}
        if val_x is not None and val_y is not None and val_ds is not None:
            probs = predict_probs(model, val_x)
            logs["val_loss"] = float(np.mean(np.asarray(loss_fn(val_y, probs))))
            logs["val_accuracy"] = float(np.mean(np.argmax(probs, axis=1) == val_ds.labels))
        cb.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cb.on_train_end()


def _source_model(spec: str, cfg: TrainConfig, names: list[str], role: str, **options: Any) -> KerasClassifier:
    """A trained model to start from, average, ensemble or learn from, checked against the config and the data.

    ``options`` are :class:`KerasClassifier` options for running it.

    Raises:
        ModelLoadError: the model is missing, or has another architecture, input size or label list.
    """
    source = KerasClassifier(model=spec, **options)
    arch = source.metadata.get("arch")
    if role not in ("ensemble_of", "teacher") and arch != cfg.arch:
        raise ModelLoadError(f"{role} {spec!r} is a {arch!r} model, the config trains {cfg.arch!r}")
    if list(source.labels) != names:
        raise ModelLoadError(f"{role} {spec!r} has labels {list(source.labels)}, the data has {names}")
    if source.input_shape != (cfg.input_size, cfg.input_size, 1):
        raise ModelLoadError(f"{role} {spec!r} takes {source.input_shape} inputs, the config size {cfg.input_size}")
    return source


def _average_models(specs: list[str], cfg: TrainConfig, train_ds: Dataset, names: list[str]) -> Any:
    """The mean of the weights of the models ``specs``, with batch-norm statistics recomputed.

    The statistics that suit averaged weights are not the average of the models'
    statistics, so they are measured again: one pass over the training data (with the
    training augmentation), each batch-norm layer keeping the running mean of its
    batch statistics.
    """
    import keras

    from fer_sdk.train.archs import build

    sources = [_source_model(spec, cfg, names, "average_of").keras_model for spec in specs]
    model = build(cfg.arch, (cfg.input_size, cfg.input_size, 1), len(names))
    model.set_weights([np.mean(ws, axis=0) for ws in zip(*(m.get_weights() for m in sources), strict=True)])
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for i, batch in enumerate(make_dataset(train_ds, cfg, training=True)):
        for layer in norms:
            layer.momentum = i / (i + 1)  # running mean: the first batch replaces, the i-th weighs 1/(i+1)
        model(batch[0], training=True)
    for layer, momentum in zip(norms, momenta, strict=True):
        layer.momentum = momentum
    return model


def _ensemble_models(specs: list[str], cfg: TrainConfig, names: list[str]) -> Any:
    """One model averaging the predictions of the models ``specs`` (see :mod:`fer_sdk.train.ensemble`).

    Raises:
        ModelLoadError: a member is missing, has other labels or input size, or another preprocessing.
    """
    from fer_sdk.train.ensemble import ensemble

    members = [_source_model(spec, cfg, names, "ensemble_of") for spec in specs]
    for spec, member in zip(specs[1:], members[1:], strict=True):
        if member.preprocessing != members[0].preprocessing:
            raise ModelLoadError(
                f"ensemble_of {spec!r} crops faces with {member.preprocessing}, {specs[0]!r} with "
                f"{members[0].preprocessing}: the members must take the same crops"
            )
    return ensemble([m.keras_model for m in members])


def teacher_targets(specs: list[str], cfg: TrainConfig, ds: Dataset) -> np.ndarray:
    """The teacher's probabilities ``(n, classes)`` for the images of ``ds``, for distillation.

    The mean over the models ``specs`` and, for each, over the image and its mirror
    image (the training flips faces, so the targets should not depend on which way a
    face looks: the classifier's ``flip_tta``, in float32). Computed once, on the images
    without augmentation.

    Raises:
        ModelLoadError: a teacher is missing, or has other labels or another input size.
    """
    images = ds.images.astype(np.float32) / 255.0
    total = np.zeros((len(ds), len(ds.names)), np.float64)
    for spec in specs:
        teacher = _source_model(spec, cfg, list(ds.names), "teacher", precision="float32", flip_tta=True)
        total += teacher.predict_proba(images)
    return (total / len(specs)).astype(np.float32)


def weights_digest(model: Any) -> str:
    """SHA-256 of a model's weights (values, shapes and dtypes, in order): equal digests, equal weights."""
    digest = hashlib.sha256()
    for w in model.get_weights():
        arr = np.ascontiguousarray(w)
        digest.update(f"{arr.dtype}{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def train(cfg: TrainConfig) -> TrainReport:
    """Train a classifier as ``cfg`` says and save an inference model the SDK loads.

    The output folder gets ``model.keras`` (float32, no optimizer state),
    ``metadata.json`` (labels, input size, preprocessing, data, metrics,
    checksum), ``history.csv``, ``report.json``, ``curves.png`` and
    ``checkpoints/`` (for ``resume=True``).

    With ``distribute="multi_worker"`` every machine of the cluster runs this
    with the same config and its own ``TF_CONFIG``; only the chief (worker 0)
    writes ``cfg.out``, the other workers keep their checkpoints in a temporary
    folder deleted at the end, and return their report without writing it.

    Examples:
        >>> from fer_sdk.train import TrainConfig, train
        >>> report = train(TrainConfig(data="../shared/datasets/fer2013", epochs=1))  # doctest: +SKIP
        >>> report.model_path.name  # doctest: +SKIP
        'model.keras'
    """
    from fer_sdk.runtime import require_tensorflow

    require_tensorflow("training (fer-sdk train, fer_sdk.train)")
    import keras

    from fer_sdk.train.archs import build

    # MultiWorkerMirroredStrategy must exist before TensorFlow runs anything else
    strategy = choose_strategy(cfg.distribute)
    multi_worker = _is_multi_worker(strategy)
    chief = _is_chief(strategy)
    task = _task_name(strategy)
    prefix = f"[{task}] " if multi_worker else ""
    out = Path(cfg.out)
    # the usual multi-worker pattern: only the chief writes the output folder
    work = out if chief else Path(tempfile.mkdtemp(prefix=f"fer_sdk-{task}-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(cfg.seed)
        precision = choose_precision(cfg.precision)
        keras.mixed_precision.set_global_policy(precision)
        if multi_worker:
            print(f"{prefix}{strategy.num_replicas_in_sync} replicas in the cluster, chief: {chief}", flush=True)

        train_ds, val_ds = load_training_data(cfg)
        logger.info("training images: %d %s", len(train_ds), train_ds.counts())
        print(f"{prefix}train: {len(train_ds)} images {train_ds.counts()}", flush=True)
        if val_ds is not None:
            print(f"{prefix}val: {len(val_ds)} images {val_ds.counts()}", flush=True)
        weights = _class_weights(train_ds, cfg.class_weight) if cfg.class_weight != "none" else None
        soft = None
        if cfg.teacher:
            print(f"{prefix}distilling from {', '.join(cfg.teacher)} (weight {cfg.teacher_weight})", flush=True)
            soft = teacher_targets(cfg.teacher, cfg, train_ds)
        steps = len(train_ds) // cfg.batch_size
        shape = (cfg.input_size, cfg.input_size, 1)
        names = list(train_ds.names)
        if cfg.average_of:
            keras.mixed_precision.set_global_policy("float32")
            print(f"{prefix}averaging the weights of {', '.join(cfg.average_of)}", flush=True)
            final = _average_models(cfg.average_of, cfg, train_ds, names)
            return _report(cfg, final, names, train_ds, val_ds, [], "float32", chief, task, steps=0)
        if cfg.ensemble_of:
            keras.mixed_precision.set_global_policy("float32")
            print(f"{prefix}averaging the predictions of {', '.join(cfg.ensemble_of)}", flush=True)
            final = _ensemble_models(cfg.ensemble_of, cfg, names)
            return _report(cfg, final, names, train_ds, val_ds, [], "float32", chief, task, steps=0)

        # resuming reads the chief's checkpoints on every worker (a shared folder across machines)
        ckpt_dir = out / "checkpoints"
        history: list[EpochStats] = []
        initial_epoch = 0
        with strategy.scope():
            if cfg.resume and (ckpt_dir / "last.keras").is_file():
                state = json.loads((ckpt_dir / "state.json").read_text(encoding="utf-8"))
                _logit_adjusted_class()  # registered, in case the run uses it
                model = keras.models.load_model(ckpt_dir / "last.keras")
                # the schedule follows the config, so a run can be resumed with more or fewer epochs
                model.optimizer.learning_rate = _schedule(cfg, steps)
                initial_epoch = int(state["epoch"])
                history = [EpochStats.model_validate(h) for h in state["history"]]
                print(f"{prefix}resuming after epoch {initial_epoch}", flush=True)
            else:
                model = build(cfg.arch, shape, len(names))
                if cfg.init_from is not None:
                    model.set_weights(_source_model(cfg.init_from, cfg, names, "init_from").keras_model.get_weights())
                    print(f"{prefix}starting from the weights of {cfg.init_from}", flush=True)
                _compile(model, cfg, steps, train_ds.prior())
        callbacks: list[Any] = [_epoch_recorder(work, len(train_ds), chief, history, prefix)]
        if cfg.patience and val_ds is not None:
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=cfg.patience))
        if initial_epoch < cfg.epochs and multi_worker:
            _fit_multi_worker(
                model, strategy, cfg, train_ds, val_ds, weights, steps, initial_epoch, callbacks, soft_targets=soft
            )
        elif initial_epoch < cfg.epochs:
            model.fit(
                make_dataset(train_ds, cfg, training=True, class_weights=weights, soft_targets=soft),
                validation_data=make_dataset(val_ds, cfg, training=False) if val_ds is not None else None,
                epochs=cfg.epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                shuffle=False,  # the tf.data pipeline shuffles
                verbose=0,
            )
        optimizer_steps = int(np.asarray(model.optimizer.iterations))

        # the inference model: best weights, float32, no optimizer
        best = work / "checkpoints" / "best.weights.h5"
        if best.is_file():
            model.load_weights(best)
        keras.mixed_precision.set_global_policy("float32")
        final = build(cfg.arch, shape, len(names))
        final.set_weights(model.get_weights())
        return _report(cfg, final, names, train_ds, val_ds, history, precision, chief, task, steps=optimizer_steps)
    finally:
        if not chief:
            shutil.rmtree(work, ignore_errors=True)


def _report(
    cfg: TrainConfig,
    final: Any,
    names: list[str],
    train_ds: Dataset,
    val_ds: Dataset | None,
    history: list[EpochStats],
    precision: str,
    chief: bool,
    task: str,
    *,
    steps: int,
) -> TrainReport:
    """Save the inference model ``final`` (on the chief) and return the run's report, also saved as report.json."""
    report = _finish(cfg, final, names, train_ds, val_ds, history, precision, chief)
    report.steps = steps
    report.task = task
    report.weights_sha256 = weights_digest(final)
    if chief:
        (Path(cfg.out) / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return report


def _lineage(spec: str) -> dict[str, Any]:
    meta = KerasClassifier(model=spec).metadata
    return {"model": spec, "arch": meta.get("arch"), "sha256": meta.get("sha256"), "training": meta.get("training")}


def _finish(
    cfg: TrainConfig,
    model: Any,
    names: list[str],
    train_ds: Dataset,
    val_ds: Dataset | None,
    history: list[EpochStats],
    precision: str,
    chief: bool,
) -> TrainReport:
    import keras
    import tensorflow as tf

    import fer_sdk
    from fer_sdk.evaluation import predict_probs
    from fer_sdk.metrics import compute_metrics

    out = Path(cfg.out)
    model_path = out / MODEL_FILE
    meta_path = out / METADATA_FILE
    val_metrics: dict[str, Any] | None = None
    if val_ds is not None:
        probs = predict_probs(model, val_ds.images.astype(np.float32) / 255.0)
        val_metrics = compute_metrics(val_ds.labels, probs, names)
    # the model's own class prior: its mean probabilities on the training images, for the
    # classifiers' decision="balanced" (every emotion equally likely a priori)
    train_probs = predict_probs(model, train_ds.images.astype(np.float32) / 255.0)
    class_prior = {name: round(float(p), 6) for name, p in zip(names, train_probs.mean(axis=0), strict=True)}
    best_epoch = None
    best_val = None
    scored = [h for h in history if h.val_accuracy is not None]
    if scored:
        top = max(scored, key=lambda h: h.val_accuracy or 0.0)
        best_epoch, best_val = top.epoch, top.val_accuracy
    report = TrainReport(
        out=out,
        model_path=model_path,
        metadata_path=meta_path,
        arch="ensemble" if cfg.ensemble_of else cfg.arch,
        labels=names,
        precision=precision,
        epochs_run=len(history),
        best_epoch=best_epoch,
        best_val_accuracy=best_val,
        history=history,
        train_images=len(train_ds),
        val_images=len(val_ds) if val_ds is not None else 0,
    )
    if not chief:
        return report
    model.save(model_path)
    metadata: dict[str, Any] = {
        "format": METADATA_FORMAT,
        "arch": report.arch,
        "labels": names,
        "input_size": [cfg.input_size, cfg.input_size],
        "channels": 1,
        "preprocessing": {"name": "standard", "size": cfg.input_size, "scale": "unit", "margin": cfg.margin},
        "training_data": {
            "source": str(cfg.data),
            "split": cfg.train_split,
            "images": len(train_ds),
            "counts": train_ds.counts(),
            "targets": "one-hot labels"
            if train_ds.targets is None
            else f"FER+ votes, label_mode {cfg.label_mode}, fer2013_weight {cfg.fer2013_weight}",
            "validation_split": cfg.val_split if cfg.val_data is None else str(cfg.val_data),
        },
        "metrics": {str(cfg.val_split or "validation"): val_metrics} if val_metrics else {},
        "class_prior": class_prior,
        "training": {
            "best_epoch": best_epoch,
            "epochs_run": len(history),
            "precision": precision,
            "seconds_per_epoch": float(np.median([h.seconds for h in history])) if history else None,
            "images_per_second": float(np.median([h.images_per_second for h in history])) if history else None,
            "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "config": json.loads(cfg.model_dump_json()),
        },
        "versions": {"fer_sdk": fer_sdk.__version__, "keras": keras.__version__, "tensorflow": tf.__version__},
        "model_file": MODEL_FILE,
        "sha256": sha256_file(model_path),
    }
    # the lineage: how the weights this run started from, or averaged, were trained
    if cfg.init_from is not None:
        metadata["training"]["init_from"] = _lineage(cfg.init_from)
    if cfg.average_of:
        metadata["training"]["averaged_from"] = [_lineage(spec) for spec in cfg.average_of]
    if cfg.ensemble_of:
        metadata["training"]["ensemble_of"] = [_lineage(spec) for spec in cfg.ensemble_of]
    if cfg.teacher:
        metadata["training"]["teacher"] = [_lineage(spec) for spec in cfg.teacher]
    meta_path.write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    try:
        from fer_sdk.figures import plot_history

        if history:
            plot_history(history, out / "curves.png")
    except ImportError as exc:  # matplotlib is an optional extra
        logger.warning("curves.png not written: %s", exc)
    return report

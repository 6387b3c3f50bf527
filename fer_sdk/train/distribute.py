"""Distribution: ``TF_CONFIG``, the ``tf.distribute`` strategy and the multi-worker training loop.

One machine with one device trains with Keras's ``model.fit``; several GPUs of one
machine with ``MirroredStrategy`` (``model.fit`` too); several machines with
``MultiWorkerMirroredStrategy``, which needs :func:`fit_multi_worker` instead of
``model.fit`` (see its docstring). :class:`Worker` says which process of the cluster
this is: only the chief writes the output folder.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fer_sdk.errors import ConfigError, DatasetError
from fer_sdk.train.callbacks import CHECKPOINTS
from fer_sdk.train.pipeline import make_dataset

if TYPE_CHECKING:
    from fer_sdk.train.context import RunContext

logger = logging.getLogger(__name__)

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
        ConfigError: the variable is unset, not JSON or does not describe a
            cluster ``MultiWorkerMirroredStrategy`` can run (the message says what is wrong).

    Examples:
        >>> text = '{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 1}}'
        >>> read_tf_config(text)["task"]
        {'type': 'worker', 'index': 1}
    """
    text = os.environ.get("TF_CONFIG") if value is None else value
    if not text:
        raise ConfigError("distribute: multi_worker needs the TF_CONFIG environment variable (see the docs)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"TF_CONFIG is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cluster"), dict) or not raw["cluster"]:
        raise ConfigError('TF_CONFIG needs a "cluster" mapping such as {"worker": ["host1:2222", "host2:2222"]}')
    cluster: dict[str, Any] = raw["cluster"]
    for task_type, addresses in cluster.items():
        if task_type not in TF_CONFIG_TASK_TYPES:
            raise ConfigError(
                f"TF_CONFIG cluster has task type {task_type!r}; MultiWorkerMirroredStrategy takes "
                f"{', '.join(TF_CONFIG_TASK_TYPES)}"
            )
        if not isinstance(addresses, list) or not addresses:
            raise ConfigError(f"TF_CONFIG cluster[{task_type!r}] must be a non-empty list of 'host:port'")
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ConfigError(f"TF_CONFIG cluster[{task_type!r}]: {address!r} is not 'host:port'")
    if not any(t in cluster for t in ("chief", "worker")):
        raise ConfigError('TF_CONFIG cluster needs "worker" (and optionally "chief") addresses')
    if len(cluster.get("chief", [])) > 1:
        raise ConfigError("TF_CONFIG cluster can have at most one chief")
    task = raw.get("task")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise ConfigError('TF_CONFIG needs a "task" such as {"type": "worker", "index": 0}')
    if task["type"] not in cluster:
        raise ConfigError(f"TF_CONFIG task type {task['type']!r} is not in the cluster ({sorted(cluster)})")
    index = task["index"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(cluster[task["type"]]):
        raise ConfigError(
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


@dataclass(frozen=True)
class Worker:
    """A run's ``tf.distribute`` strategy and this process's place in its cluster.

    Attributes:
        strategy: the strategy (see :func:`choose_strategy`).
        multi_worker: the strategy is ``MultiWorkerMirroredStrategy``.
        chief: this process writes the output folder: the ``chief`` task, or worker 0
            when the cluster has no chief, or the only process outside a cluster.
        name: the task, as ``worker0``, ``worker1``, ``chief0``, or ``local`` outside a cluster.

    Examples:
        >>> Worker(None).chief, Worker(None).name, Worker(None).prefix
        (True, 'local', '')
    """

    strategy: Any
    multi_worker: bool = False
    chief: bool = True
    name: str = "local"

    @classmethod
    def of(cls, strategy: Any) -> Worker:
        """The worker that runs ``strategy``, as its cluster resolver describes it."""
        import tensorflow as tf

        multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        resolver = getattr(strategy, "cluster_resolver", None)
        if resolver is None or not getattr(resolver, "task_type", None):
            return cls(strategy, multi_worker)
        chief = bool(resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0))
        return cls(strategy, multi_worker, chief, f"{resolver.task_type}{resolver.task_id}")

    @property
    def prefix(self) -> str:
        """What starts each printed line: ``"[worker1] "`` under multi-worker training, else nothing."""
        return f"[{self.name}] " if self.multi_worker else ""

    def say(self, text: str) -> None:
        """Print a progress line of the run, prefixed with :attr:`prefix`."""
        print(f"{self.prefix}{text}", flush=True)


def fit_multi_worker(ctx: RunContext, model: Any, initial_epoch: int, callbacks: list[Any]) -> None:
    """``model.fit`` for ``MultiWorkerMirroredStrategy``: a custom synchronous training loop.

    Keras 3's ``model.fit`` fails under this strategy (``Attempt to convert a value
    (PerReplica...) with an unsupported type``, keras-team/keras#20585), so each step
    runs ``strategy.run`` on a per-replica batch; the Keras optimizer all-reduces
    the gradients, so every replica applies the same update. Each worker reads its
    own shard of the training set (``distribute_datasets_from_function``), repeated,
    for exactly ``ctx.steps`` steps per epoch, so no worker waits for another at an
    epoch's end. At each epoch's end the non-trainable float variables (batch-norm
    moving statistics) are averaged over the replicas, so every worker holds the
    same weights. Loss and accuracy are summed over all replicas; validation runs on
    the whole validation set on every worker (the weights are the same everywhere).
    The callbacks (checkpoints, early stopping) get the same ``logs`` as under ``fit``.

    Args:
        ctx: the run: config, strategy, data, class weights and teacher's targets.
        model: the compiled model, built under the strategy's scope.
        initial_epoch: the epochs already done (resumed), the same on every worker.
        callbacks: Keras callbacks, called as ``model.fit`` calls them.

    Raises:
        ConfigError: the batch size is not a multiple of the replicas.
        DatasetError: the training set makes no full batch.
        ConfigError: the workers would resume from different epochs.
    """
    import keras
    import tensorflow as tf

    from fer_sdk.evaluation import predict_probs

    cfg, strategy, train_ds, val_ds, steps = ctx.cfg, ctx.worker.strategy, ctx.train_ds, ctx.val_ds, ctx.steps
    replicas = strategy.num_replicas_in_sync
    global_batch = cfg.batch_size
    if global_batch % replicas:
        raise ConfigError(f"batch_size {global_batch} must be a multiple of the {replicas} replicas in the cluster")
    if cfg.xla:
        logger.warning("xla is ignored under distribute: multi_worker")
    if steps < 1:
        raise DatasetError(f"{len(train_ds)} training images make no full batch of {global_batch}")

    def dataset_fn(input_ctx: Any) -> Any:
        return make_dataset(
            train_ds,
            cfg,
            training=True,
            class_weights=ctx.class_weights,
            batch_size=input_ctx.get_per_replica_batch_size(global_batch),
            shard=(input_ctx.num_input_pipelines, input_ctx.input_pipeline_id),
            repeat=True,
            soft_targets=ctx.soft_targets,
        )

    # every worker must start from the same epoch, or the first collective would wait forever
    @tf.function
    def mean_over_workers(value: Any) -> Any:
        return strategy.reduce(tf.distribute.ReduceOp.MEAN, strategy.run(lambda: tf.identity(value)), axis=None)

    mean, mean_sq = mean_over_workers(tf.constant([initial_epoch, initial_epoch**2], tf.float32)).numpy()
    if mean_sq - mean * mean > 1e-6:
        raise ConfigError(
            f"the workers resume from different epochs (this one: {initial_epoch}); with resume=True every "
            f"worker must see the chief's {ctx.out / CHECKPOINTS} (a shared folder)"
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

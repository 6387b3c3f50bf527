"""The training loop behind :func:`fer_sdk.train.train`."""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.builtin.keras_cnn import METADATA_FILE, METADATA_FORMAT, MODEL_FILE, sha256_file
from fer_sdk.errors import DatasetError
from fer_sdk.train.config import EpochStats, TrainConfig, TrainReport
from fer_sdk.train.data import Dataset, load_class_folders, load_split

logger = logging.getLogger(__name__)


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX-BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_precision(requested: str) -> str:
    """Resolve ``"auto"``: float16 on GPUs, bfloat16 on CPUs with bf16 units, else float32."""
    if requested != "auto":
        return requested
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_supports_bf16() else "float32"


def choose_strategy(requested: str) -> Any:
    """The ``tf.distribute`` strategy for ``requested`` (``auto`` looks at TF_CONFIG and the GPUs)."""
    import tensorflow as tf

    if requested == "auto":
        if os.environ.get("TF_CONFIG"):
            requested = "multi_worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            requested = "mirrored"
        else:
            requested = "none"
    if requested == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if requested == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _is_chief(strategy: Any) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return bool(resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0))


def _class_weights(ds: Dataset, mode: str) -> np.ndarray:
    counts = np.bincount(ds.labels, minlength=len(ds.names)).astype(np.float64)
    counts = np.maximum(counts, 1.0)
    weights = counts.sum() / (len(counts) * counts)
    if mode == "sqrt":
        weights = np.sqrt(weights)
    elif mode == "none":
        weights = np.ones_like(weights)
    return (weights / np.average(weights, weights=counts)).astype(np.float32)


def make_dataset(ds: Dataset, cfg: TrainConfig, *, training: bool, class_weights: np.ndarray | None = None) -> Any:
    """A ``tf.data`` pipeline: decoded once, cached, shuffled, batched, augmented, prefetched."""
    import tensorflow as tf

    from fer_sdk.train.augment import augment_batch

    n_classes = len(ds.names)
    data = tf.data.Dataset.from_tensor_slices((ds.images, ds.labels)).cache()
    if training:
        data = data.shuffle(len(ds), seed=cfg.seed, reshuffle_each_iteration=True)
    data = data.batch(cfg.batch_size, drop_remainder=training)
    weights = tf.constant(class_weights if class_weights is not None else np.ones(n_classes, np.float32))

    def prepare(images: Any, labels: Any) -> Any:
        x = tf.cast(images, tf.float32) / 255.0
        if training:
            x = augment_batch(x, cfg.augment)
        y = tf.one_hot(labels, n_classes)
        if training and class_weights is not None:
            return x, y, tf.gather(weights, labels)
        return x, y

    data = data.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options).prefetch(tf.data.AUTOTUNE)


def load_training_data(cfg: TrainConfig) -> tuple[Dataset, Dataset | None]:
    """Load the training and validation sets the config names."""
    size = cfg.input_size
    train_ds = load_split(cfg.data, cfg.train_split, cfg.labels, size=size, on_error=cfg.on_error)
    val_ds: Dataset | None = None
    if cfg.val_data is not None:
        val_ds = load_class_folders(cfg.val_data, list(train_ds.names), size=size, on_error=cfg.on_error)
    elif cfg.val_split is not None:
        val_ds = load_split(cfg.data, cfg.val_split, list(train_ds.names), size=size, on_error=cfg.on_error)
    if val_ds is not None and val_ds.names != train_ds.names:
        raise DatasetError(f"validation labels {val_ds.names} differ from training labels {train_ds.names}")
    return train_ds, val_ds


def _epoch_recorder(out: Path, n_train: int, chief: bool, history: list[EpochStats]) -> Any:
    """Keras callback: timings, per-epoch log, checkpoints for ``resume``, best weights."""
    import keras

    class Recorder(keras.callbacks.Callback):
        def __init__(self, out: Path, n_train: int, chief: bool, history: list[EpochStats]) -> None:
            super().__init__()
            self.out, self.n_train, self.chief, self.history = out, n_train, chief, history
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
                f"epoch {stats.epoch}: {stats.seconds:.1f}s {stats.images_per_second:.0f} img/s "
                f"loss {stats.loss:.4f} acc {stats.accuracy:.4f}{val} lr {stats.learning_rate:.2e}",
                flush=True,
            )
            target = self.ckpt if self.chief else self.ckpt / f"worker-{os.getpid()}"
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

    return Recorder(out, n_train, chief, history)


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


def _compile(model: Any, cfg: TrainConfig, steps_per_epoch: int) -> None:
    import keras

    optimizer = keras.optimizers.AdamW(learning_rate=_schedule(cfg, steps_per_epoch), weight_decay=cfg.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["bn", "bias", "beta", "gamma"])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy"],
        jit_compile=cfg.xla,
    )


def train(cfg: TrainConfig) -> TrainReport:
    """Train a classifier as ``cfg`` says and save an inference model the SDK loads.

    The output folder gets ``model.keras`` (float32, no optimizer state),
    ``metadata.json`` (labels, input size, preprocessing, data, metrics,
    checksum), ``history.csv``, ``report.json``, ``curves.png`` and
    ``checkpoints/`` (for ``resume=True``).

    Examples:
        >>> from fer_sdk.train import TrainConfig, train
        >>> report = train(TrainConfig(data="../shared/datasets/fer2013", epochs=1))  # doctest: +SKIP
        >>> report.model_path.name  # doctest: +SKIP
        'model.keras'
    """
    import keras

    from fer_sdk.train.archs import build

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    precision = choose_precision(cfg.precision)
    keras.mixed_precision.set_global_policy(precision)
    strategy = choose_strategy(cfg.distribute)
    chief = _is_chief(strategy)

    train_ds, val_ds = load_training_data(cfg)
    logger.info("training images: %d %s", len(train_ds), train_ds.counts())
    print(f"train: {len(train_ds)} images {train_ds.counts()}", flush=True)
    if val_ds is not None:
        print(f"val: {len(val_ds)} images {val_ds.counts()}", flush=True)
    weights = _class_weights(train_ds, cfg.class_weight) if cfg.class_weight != "none" else None
    train_data = make_dataset(train_ds, cfg, training=True, class_weights=weights)
    val_data = make_dataset(val_ds, cfg, training=False) if val_ds is not None else None
    steps = len(train_ds) // cfg.batch_size
    shape = (cfg.input_size, cfg.input_size, 1)
    names = list(train_ds.names)

    ckpt_dir = out / "checkpoints"
    history: list[EpochStats] = []
    initial_epoch = 0
    with strategy.scope():
        if cfg.resume and (ckpt_dir / "last.keras").is_file():
            state = json.loads((ckpt_dir / "state.json").read_text(encoding="utf-8"))
            model = keras.models.load_model(ckpt_dir / "last.keras")
            # the schedule follows the config, so a run can be resumed with more or fewer epochs
            model.optimizer.learning_rate = _schedule(cfg, steps)
            initial_epoch = int(state["epoch"])
            history = [EpochStats.model_validate(h) for h in state["history"]]
            print(f"resuming after epoch {initial_epoch}", flush=True)
        else:
            model = build(cfg.arch, shape, len(names))
            _compile(model, cfg, steps)
    callbacks: list[Any] = [_epoch_recorder(out, len(train_ds), chief, history)]
    if cfg.patience and val_data is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=cfg.patience))
    if initial_epoch < cfg.epochs:
        model.fit(
            train_data,
            validation_data=val_data,
            epochs=cfg.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            shuffle=False,  # the tf.data pipeline shuffles
            verbose=0,
        )

    # the inference model: best weights, float32, no optimizer
    best = ckpt_dir / "best.weights.h5"
    if best.is_file():
        model.load_weights(best)
    keras.mixed_precision.set_global_policy("float32")
    final = build(cfg.arch, shape, len(names))
    final.set_weights(model.get_weights())
    report = _finish(cfg, final, names, train_ds, val_ds, history, precision, chief)
    return report


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
    from fer_sdk.train.evaluate import compute_metrics, predict_probs

    out = Path(cfg.out)
    model_path = out / MODEL_FILE
    meta_path = out / METADATA_FILE
    val_metrics: dict[str, Any] | None = None
    if val_ds is not None:
        probs = predict_probs(model, val_ds.images.astype(np.float32) / 255.0)
        val_metrics = compute_metrics(val_ds.labels, probs, names)
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
        arch=cfg.arch,
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
        "arch": cfg.arch,
        "labels": names,
        "input_size": [cfg.input_size, cfg.input_size],
        "channels": 1,
        "preprocessing": {"name": "standard", "size": cfg.input_size, "scale": "unit", "margin": cfg.margin},
        "training_data": {
            "source": str(cfg.data),
            "split": cfg.train_split,
            "images": len(train_ds),
            "counts": train_ds.counts(),
            "validation_split": cfg.val_split if cfg.val_data is None else str(cfg.val_data),
        },
        "metrics": {str(cfg.val_split or "validation"): val_metrics} if val_metrics else {},
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
    meta_path.write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    try:
        from fer_sdk.train.plots import plot_history

        plot_history(history, out / "curves.png")
    except ImportError as exc:  # matplotlib is an optional extra
        logger.warning("curves.png not written: %s", exc)
    return report

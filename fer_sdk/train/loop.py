"""One training run: :func:`train`, from the config to the saved model, its metadata and its report.

The run's steps, in order, and where each lives:

1. the strategy and this process's place in the cluster (:mod:`fer_sdk.train.distribute`);
2. the data (:mod:`fer_sdk.train.pipeline`) and the teacher's targets (:mod:`fer_sdk.train.sources`),
   gathered with the config in a :class:`~fer_sdk.train.context.RunContext`;
3. the model: resumed from ``checkpoints/`` (:mod:`fer_sdk.train.callbacks`), or built and
   compiled (:mod:`fer_sdk.train.objective`), or averaged or ensembled from trained models
   (:mod:`fer_sdk.train.sources`);
4. the epochs: ``model.fit``, or :func:`~fer_sdk.train.distribute.fit_multi_worker` on a
   cluster, with the callback that logs and checkpoints each epoch;
5. the inference model, its metadata (:func:`preset_metadata`) and the report (here).
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from fer_sdk.builtin.keras_cnn import cpu_supports_bf16
from fer_sdk.preset import METADATA_FILE, MODEL_FILE, PresetMetadata, sha256_file
from fer_sdk.train.callbacks import BEST_WEIGHTS, CHECKPOINTS, LAST_MODEL, ResumeState, epoch_recorder
from fer_sdk.train.config import EpochStats, TrainConfig, TrainReport
from fer_sdk.train.context import RunContext
from fer_sdk.train.distribute import Worker, choose_strategy, fit_multi_worker
from fer_sdk.train.objective import compile_model, logit_adjusted_class, lr_schedule
from fer_sdk.train.pipeline import class_loss_weights, load_training_data, make_dataset
from fer_sdk.train.sources import average_models, ensemble_models, lineage, source_model, teacher_targets

logger = logging.getLogger(__name__)

REPORT_FILE = "report.json"


def choose_precision(requested: str) -> str:
    """Resolve ``"auto"``: float16 on GPUs, bfloat16 on CPUs with bf16 units, else float32."""
    if requested != "auto":
        return requested
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_supports_bf16() else "float32"


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
    worker = Worker.of(choose_strategy(cfg.distribute))
    # the usual multi-worker pattern: only the chief writes the output folder
    work = Path(cfg.out) if worker.chief else Path(tempfile.mkdtemp(prefix=f"fer_sdk-{worker.name}-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(cfg.seed)
        precision = choose_precision(cfg.precision)
        keras.mixed_precision.set_global_policy(precision)
        ctx = _prepare(cfg, worker, work, precision)
        if cfg.average_of or cfg.ensemble_of:
            return _combine(ctx)

        model, start = _start(ctx)
        history = list(start.history)
        _fit(ctx, model, start.epoch, history)
        optimizer_steps = int(np.asarray(model.optimizer.iterations))

        # the inference model: best weights, float32, no optimizer
        best = work / CHECKPOINTS / BEST_WEIGHTS
        if best.is_file():
            model.load_weights(best)
        keras.mixed_precision.set_global_policy("float32")
        final = build(cfg.arch, ctx.shape, len(ctx.names))
        final.set_weights(model.get_weights())
        return _report(ctx, final, history, steps=optimizer_steps)
    finally:
        if not worker.chief:
            shutil.rmtree(work, ignore_errors=True)


def _prepare(cfg: TrainConfig, worker: Worker, work: Path, precision: str) -> RunContext:
    """Load the data, and the class weights and teacher's targets the config asks for, into the run's context."""
    if worker.multi_worker:
        worker.say(f"{worker.strategy.num_replicas_in_sync} replicas in the cluster, chief: {worker.chief}")
    train_ds, val_ds = load_training_data(cfg)
    ctx = RunContext(cfg, worker, work, precision, train_ds, val_ds)
    logger.info("training images: %d %s", len(train_ds), train_ds.counts())
    worker.say(f"train: {len(train_ds)} images {train_ds.counts()}")
    if val_ds is not None:
        worker.say(f"val: {len(val_ds)} images {val_ds.counts()}")
    if cfg.class_weight != "none":
        ctx.class_weights = class_loss_weights(train_ds, cfg.class_weight)
    if cfg.teacher:
        worker.say(f"distilling from {', '.join(cfg.teacher)} (weight {cfg.teacher_weight})")
        ctx.soft_targets = teacher_targets(cfg.teacher, cfg, train_ds)
    return ctx


def _combine(ctx: RunContext) -> TrainReport:
    """A run without epochs: the mean of trained models' weights (``average_of``) or predictions (``ensemble_of``)."""
    import keras

    cfg = ctx.cfg
    keras.mixed_precision.set_global_policy("float32")
    ctx.precision = "float32"
    if cfg.average_of:
        ctx.worker.say(f"averaging the weights of {', '.join(cfg.average_of)}")
        final = average_models(cfg.average_of, cfg, ctx.train_ds, ctx.names)
    else:
        ctx.worker.say(f"averaging the predictions of {', '.join(cfg.ensemble_of or [])}")
        final = ensemble_models(cfg.ensemble_of or [], cfg, ctx.names)
    return _report(ctx, final, [], steps=0)


def _start(ctx: RunContext) -> tuple[Any, ResumeState]:
    """The compiled model to train, under the strategy's scope, and the epoch it starts after.

    With ``resume`` and a checkpoint, the model (with its optimizer state) and the
    history from the chief's ``checkpoints/`` (read on every worker: a shared folder
    across machines); otherwise a new model, with ``init_from``'s weights if given.
    """
    import keras

    from fer_sdk.train.archs import build

    cfg = ctx.cfg
    ckpt_dir = ctx.out / CHECKPOINTS
    with ctx.worker.strategy.scope():
        if cfg.resume and (ckpt_dir / LAST_MODEL).is_file():
            state = ResumeState.read(ckpt_dir)
            logit_adjusted_class()  # registered, in case the run uses it
            model = keras.models.load_model(ckpt_dir / LAST_MODEL)
            # the schedule follows the config, so a run can be resumed with more or fewer epochs
            model.optimizer.learning_rate = lr_schedule(cfg, ctx.steps)
            ctx.worker.say(f"resuming after epoch {state.epoch}")
            return model, state
        model = build(cfg.arch, ctx.shape, len(ctx.names))
        if cfg.init_from is not None:
            model.set_weights(source_model(cfg.init_from, cfg, ctx.names, "init_from").keras_model.get_weights())
            ctx.worker.say(f"starting from the weights of {cfg.init_from}")
        compile_model(model, cfg, ctx.steps, ctx.train_ds.prior())
        return model, ResumeState(0, [])


def _fit(ctx: RunContext, model: Any, initial_epoch: int, history: list[EpochStats]) -> None:
    """Train ``model`` from ``initial_epoch`` to ``cfg.epochs``, appending each epoch to ``history``."""
    import keras

    cfg = ctx.cfg
    if initial_epoch >= cfg.epochs:
        return
    callbacks: list[Any] = [epoch_recorder(ctx, history)]
    if cfg.patience and ctx.val_ds is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=cfg.patience))
    if ctx.worker.multi_worker:
        fit_multi_worker(ctx, model, initial_epoch, callbacks)
        return
    model.fit(
        make_dataset(ctx.train_ds, cfg, training=True, class_weights=ctx.class_weights, soft_targets=ctx.soft_targets),
        validation_data=make_dataset(ctx.val_ds, cfg, training=False) if ctx.val_ds is not None else None,
        epochs=cfg.epochs,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,
    )


def _report(ctx: RunContext, model: Any, history: list[EpochStats], *, steps: int) -> TrainReport:
    """Measure the inference model ``model``; on the chief save it, its metadata, curves and ``report.json``.

    Args:
        ctx: the run.
        model: the inference model (float32, no optimizer).
        history: the epochs run, resumed ones included (none for averages and ensembles).
        steps: the optimizer steps the model took.
    """
    from fer_sdk.evaluation import predict_probs
    from fer_sdk.metrics import compute_metrics

    names = ctx.names
    val_metrics: dict[str, Any] | None = None
    if ctx.val_ds is not None:
        probs = predict_probs(model, ctx.val_ds.images.astype(np.float32) / 255.0)
        val_metrics = compute_metrics(ctx.val_ds.labels, probs, names)
    # the model's own class prior: its mean probabilities on the training images, for the
    # classifiers' decision="balanced" (every emotion equally likely a priori)
    train_probs = predict_probs(model, ctx.train_ds.images.astype(np.float32) / 255.0)
    class_prior = {name: round(float(p), 6) for name, p in zip(names, train_probs.mean(axis=0), strict=True)}
    best_epoch = None
    best_val = None
    scored = [h for h in history if h.val_accuracy is not None]
    if scored:
        top = max(scored, key=lambda h: h.val_accuracy or 0.0)
        best_epoch, best_val = top.epoch, top.val_accuracy
    report = TrainReport(
        out=ctx.out,
        model_path=ctx.out / MODEL_FILE,
        metadata_path=ctx.out / METADATA_FILE,
        arch="ensemble" if ctx.cfg.ensemble_of else ctx.cfg.arch,
        labels=names,
        precision=ctx.precision,
        epochs_run=len(history),
        best_epoch=best_epoch,
        best_val_accuracy=best_val,
        history=history,
        train_images=len(ctx.train_ds),
        val_images=len(ctx.val_ds) if ctx.val_ds is not None else 0,
        steps=steps,
        task=ctx.worker.name,
        weights_sha256=weights_digest(model),
    )
    if not ctx.worker.chief:
        return report
    model.save(report.model_path)
    preset_metadata(ctx, report, val_metrics=val_metrics, class_prior=class_prior).save(report.metadata_path)
    try:
        from fer_sdk.figures import plot_history

        if history:
            plot_history(history, ctx.out / "curves.png")
    except ImportError as exc:  # matplotlib is an optional extra
        logger.warning("curves.png not written: %s", exc)
    (ctx.out / REPORT_FILE).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return report


def preset_metadata(
    ctx: RunContext,
    report: TrainReport,
    *,
    val_metrics: dict[str, Any] | None,
    class_prior: dict[str, float],
) -> PresetMetadata:
    """The ``metadata.json`` (``fer_sdk.model/1``) of the model the run saved at ``report.model_path``.

    Labels, input size and preprocessing (what the SDK needs to run the model), the
    training data, the validation metrics, the model's class prior, how it was
    trained (with the lineage of the models it started from, averaged, ensembled or
    learned from), the library versions, and the SHA-256 of the model file (which
    must be saved already).

    Args:
        ctx: the run.
        report: the run's report (architecture, labels, precision, history, best epoch, model path).
        val_metrics: :func:`~fer_sdk.metrics.compute_metrics` on the validation set, if any.
        class_prior: the model's mean probability of each label on the training images.
    """
    import keras
    import tensorflow as tf

    import fer_sdk

    cfg, train_ds, history = ctx.cfg, ctx.train_ds, report.history
    training: dict[str, Any] = {
        "best_epoch": report.best_epoch,
        "epochs_run": len(history),
        "precision": report.precision,
        "seconds_per_epoch": float(np.median([h.seconds for h in history])) if history else None,
        "images_per_second": float(np.median([h.images_per_second for h in history])) if history else None,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "config": json.loads(cfg.model_dump_json()),
    }
    # the lineage: how the weights this run started from, or averaged, were trained
    if cfg.init_from is not None:
        training["init_from"] = lineage(cfg.init_from)
    if cfg.average_of:
        training["averaged_from"] = [lineage(spec) for spec in cfg.average_of]
    if cfg.ensemble_of:
        training["ensemble_of"] = [lineage(spec) for spec in cfg.ensemble_of]
    if cfg.teacher:
        training["teacher"] = [lineage(spec) for spec in cfg.teacher]
    return PresetMetadata(
        arch=report.arch,
        labels=tuple(report.labels),
        input_size=(cfg.input_size, cfg.input_size),
        channels=1,
        preprocessing={"name": "standard", "size": cfg.input_size, "scale": "unit", "margin": cfg.margin},
        training_data={
            "source": str(cfg.data),
            "split": cfg.train_split,
            "images": len(train_ds),
            "counts": train_ds.counts(),
            "targets": "one-hot labels"
            if train_ds.targets is None
            else f"FER+ votes, label_mode {cfg.label_mode}, fer2013_weight {cfg.fer2013_weight}"
            + ("" if cfg.fer2013_weight_split is None else f" ({cfg.fer2013_weight_split} where the voters split)"),
            "validation_split": cfg.val_split if cfg.val_data is None else str(cfg.val_data),
        },
        metrics={str(cfg.val_split or "validation"): val_metrics} if val_metrics else {},
        class_prior=class_prior,
        training=training,
        versions={"fer_sdk": fer_sdk.__version__, "keras": keras.__version__, "tensorflow": tf.__version__},
        model_file=MODEL_FILE,
        sha256=sha256_file(report.model_path),
    )

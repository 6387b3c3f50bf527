"""Training configuration and report models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fer_sdk.errors import ConfigError
from fer_sdk.train.augment import AugmentConfig

Precision = Literal["auto", "float32", "mixed_bfloat16", "mixed_float16"]
Distribute = Literal["auto", "none", "mirrored", "multi_worker"]


class TrainConfig(BaseModel):
    """Everything :func:`fer_sdk.train.train` needs, validated (unknown keys are errors).

    Examples:
        >>> from fer_sdk.train import TrainConfig
        >>> cfg = TrainConfig(data="../shared/datasets/fer2013", epochs=2, out="runs/try")
        >>> cfg.arch, cfg.labels
        ('fernet', 'fer7')
    """

    model_config = ConfigDict(extra="forbid")

    data: Path = Field(description="fer2013.csv, an image-folder release or a folder of class folders")
    out: Path = Field(Path("runs/fernet"), description="output folder")
    train_split: str | None = Field("Training", description="split to train on (None: class folders)")
    val_split: str | None = Field("PublicTest", description="split for validation and early stopping")
    val_data: Path | None = Field(None, description="separate validation data (class folders)")
    labels: str | list[str] = Field("fer7", description="'fer7', 'fer6', 'ferplus8' or a list of class names")
    label_mode: Literal["majority", "probability", "crossentropy"] = Field(
        "crossentropy",
        description="FER+ data (a folder with label.csv per split, or fer2013new.csv with fer2013_csv): "
        "majority (one-hot, faces where one emotion has more than half of the votes), probability (one label "
        "drawn from the votes per face and epoch) or crossentropy (the vote distribution as soft targets)",
    )
    fer2013_weight: float = Field(
        0.0,
        ge=0,
        le=1,
        description="FER+ data: weight of each face's FER2013 label mixed into its vote targets (0: votes only)",
    )
    fer2013_csv: Path | None = Field(
        None, description="with data = Microsoft's fer2013new.csv: Kaggle's fer2013.csv, joined by row order"
    )
    arch: str = "fernet"
    input_size: int = Field(48, ge=16, le=256)
    epochs: int = Field(60, ge=1)
    batch_size: int = Field(128, ge=1)
    learning_rate: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.05, ge=0)
    warmup_epochs: float = Field(2.0, ge=0)
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    class_weight: Literal["none", "balanced", "sqrt"] = Field(
        "none", description="loss re-weighting by inverse class frequency (balanced) or its square root (sqrt)"
    )
    sampling: Literal["shuffle", "balanced", "sqrt"] = Field(
        "shuffle",
        description="shuffle: every image once per epoch; balanced / sqrt: draw the images of each epoch with "
        "replacement, each class equally often / in proportion to the square root of its frequency",
    )
    logit_adjustment: float = Field(
        0.0,
        ge=0,
        description="logit-adjusted loss (Menon et al., 2021): tau, the loss sees log p + tau * log prior, so the "
        "model learns to favour rare classes (0: off)",
    )
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    patience: int = Field(0, ge=0, description="early stopping patience in epochs (0: off)")
    precision: Precision = "auto"
    xla: bool = False
    distribute: Distribute = Field(
        "auto",
        description=(
            "tf.distribute strategy. 'none': one device. 'mirrored': MirroredStrategy, synchronous data "
            "parallelism over all GPUs of this machine (batch_size is the global batch, split between them). "
            "'multi_worker': MultiWorkerMirroredStrategy across processes or machines: run the same command "
            "on every machine with the same config and its own TF_CONFIG environment variable, e.g. "
            '{"cluster": {"worker": ["host1:2222", "host2:2222"]}, "task": {"type": "worker", "index": 0}}; '
            "worker 0 (or the 'chief') writes `out`, the others a temporary folder; resume reads "
            "`out/checkpoints` on every worker, so it needs a folder all workers see. "
            "'auto': multi_worker when TF_CONFIG is set, mirrored with several GPUs, else none."
        ),
    )
    seed: int = 1337
    resume: bool = False
    init_from: str | None = Field(
        None,
        description="start from the weights of a trained model of the same arch and labels "
        "(a bundled preset, a model folder or a .keras file): fine-tuning, or a further training cycle",
    )
    average_of: list[str] | None = Field(
        None,
        min_length=2,
        description="instead of training, average the weights of these trained models of the config's arch and "
        "labels (e.g. the ends of successive training cycles) and measure batch-norm statistics on the training data",
    )
    ensemble_of: list[str] | None = Field(
        None,
        min_length=2,
        description="instead of training, build one model that averages the predictions of these trained "
        "models (any architectures, the data's labels and the config's input size; see fer_sdk.train.ensemble)",
    )
    teacher: list[str] | None = Field(
        None,
        min_length=1,
        description="distillation: trained models (the data's labels, the config's input size) whose "
        "probabilities on the training images, averaged over the models and over each image and its mirror "
        "image, are mixed into the training targets",
    )
    teacher_weight: float = Field(
        0.5, gt=0, le=1, description="share of the teacher's probabilities in the targets (the rest: the label)"
    )
    on_error: Literal["skip", "raise"] = "skip"
    margin: float = Field(0.0, ge=0, le=1, description="crop margin recorded in the model metadata")

    @model_validator(mode="after")
    def _one_source(self) -> TrainConfig:
        sources = [name for name in ("init_from", "average_of", "ensemble_of") if getattr(self, name)]
        if len(sources) > 1:
            raise ConfigError(
                f"{' and '.join(sources)} are all set: average_of and ensemble_of train nothing, "
                "and each takes its own models, so set only one of them"
            )
        if self.teacher and (self.average_of or self.ensemble_of):
            raise ConfigError("teacher distils into a model being trained: average_of and ensemble_of train nothing")
        return self

    @classmethod
    def from_file(cls, path: str | Path, **overrides: object) -> TrainConfig:
        """Read a YAML or JSON config file; ``overrides`` (set fields only) win over the file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            raw = yaml.safe_load(text) or {}
        else:
            raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: a config file must hold a mapping, got {type(raw).__name__}")
        raw.update(overrides)
        return cls.model_validate(raw)


class EpochStats(BaseModel):
    """Metrics of one epoch."""

    epoch: int
    seconds: float
    images_per_second: float
    loss: float
    accuracy: float
    val_loss: float | None = None
    val_accuracy: float | None = None
    learning_rate: float | None = None


class TrainReport(BaseModel):
    """What :func:`fer_sdk.train.train` returns (also saved as ``report.json``)."""

    out: Path
    model_path: Path
    metadata_path: Path
    arch: str
    labels: list[str]
    precision: str
    epochs_run: int
    best_epoch: int | None
    best_val_accuracy: float | None
    history: list[EpochStats]
    train_images: int
    val_images: int
    steps: int = Field(0, description="optimizer steps taken by the model, resumed epochs included")
    task: str = Field("local", description="this process in the cluster: 'local', 'worker0', 'worker1', 'chief0'...")
    weights_sha256: str | None = Field(None, description="digest of the final weights (equal on every worker)")

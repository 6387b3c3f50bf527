"""Training configuration and report models."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fer_sdk.errors import ConfigError
from fer_sdk.labels import SCHEMES
from fer_sdk.train.augment import AugmentConfig

Precision = Literal["auto", "float32", "mixed_bfloat16", "mixed_float16"]
Distribute = Literal["auto", "none", "mirrored", "multi_worker"]


@dataclass(frozen=True)
class Flag:
    """Marks a :class:`TrainConfig` field as a command-line flag of ``fer-sdk train`` and ``python -m fer_sdk.train``.

    The flag is ``--`` and the field's name with dashes; the field's type gives the
    rest (a ``Literal`` its choices, ``bool`` a switch, a list one or more values,
    ``int``, ``float`` and ``Path`` the conversion) and its description the help
    text. :func:`fer_sdk.cli.train.add_train_arguments` builds the flags.

    Attributes:
        metavar: the value's name in the help (``N``, ``X``, ``FILE``...).
        help: the help text when it is not the field's description; ``{default}``
            stands for the field's default.
        type: turns the command-line string into the field's value, instead of the type's own conversion.
        name: the flag's name when it is not the field's (without ``--``).
        const: the flag takes no value and sets the field to this.

    Examples:
        >>> TrainConfig.model_fields["epochs"].metadata[-1]
        Flag(metavar='N', help=None, type=None, name=None, const=None)
    """

    metavar: str | None = None
    help: str | None = None
    type: Callable[[str], Any] | None = None
    name: str | None = None
    const: Any = None


def _labels_arg(value: str) -> str | list[str] | None:
    """``--labels``: a scheme name, or comma-separated class names (empty: not given)."""
    if not value:
        return None
    return value if value in SCHEMES else value.split(",")


def _split_arg(value: str) -> str | None:
    """``--train-split`` / ``--val-split``: a split name; ``none`` (any case) for no split."""
    return None if value.lower() == "none" else value


class TrainConfig(BaseModel):
    """Everything :func:`fer_sdk.train.train` needs, validated (unknown keys are errors).

    Examples:
        >>> from fer_sdk.train import TrainConfig
        >>> cfg = TrainConfig(data="../shared/datasets/fer2013", epochs=2, out="runs/try")
        >>> cfg.arch, cfg.labels
        ('fernet', 'fer7')
    """

    model_config = ConfigDict(extra="forbid")

    data: Annotated[Path, Flag("PATH")] = Field(
        description="fer2013.csv, image-folder release, class folders, FER+ folders or fer2013new.csv"
    )
    out: Annotated[Path, Flag("DIR", help="output folder (default {default})")] = Field(
        Path("runs/fernet"), description="output folder"
    )
    train_split: Annotated[
        str | None, Flag("NAME", help="split to train on ('none' for class folders)", type=_split_arg)
    ] = Field("Training", description="split to train on (None: class folders)")
    val_split: Annotated[str | None, Flag("NAME", help="validation split ('none' to skip)", type=_split_arg)] = Field(
        "PublicTest", description="split for validation and early stopping"
    )
    val_data: Annotated[Path | None, Flag("DIR", help="separate validation folder")] = Field(
        None, description="separate validation data (class folders)"
    )
    labels: Annotated[
        str | list[str], Flag(help="fer7, fer6, ferplus8, or comma-separated class names", type=_labels_arg)
    ] = Field("fer7", description="'fer7', 'fer6', 'ferplus8' or a list of class names")
    label_mode: Annotated[
        Literal["majority", "probability", "crossentropy"],
        Flag(help="FER+ data: how the ten votes become targets (default {default}: the vote distribution)"),
    ] = Field(
        "crossentropy",
        description="FER+ data (a folder with label.csv per split, or fer2013new.csv with fer2013_csv): "
        "majority (one-hot, faces where one emotion has more than half of the votes), probability (one label "
        "drawn from the votes per face and epoch) or crossentropy (the vote distribution as soft targets)",
    )
    fer2013_weight: Annotated[float, Flag("X", help="FER+ data: share of the FER2013 label (0-1)")] = Field(
        0.0,
        ge=0,
        le=1,
        description="FER+ data: weight of each face's FER2013 label mixed into its vote targets (0: votes only)",
    )
    fer2013_weight_split: Annotated[
        float | None, Flag("X", help="FER+ data: share of the FER2013 label where the voters split (0-1)")
    ] = Field(
        None,
        ge=0,
        le=1,
        description="FER+ data: fer2013_weight on the faces where no emotion has more than half of the votes, so "
        "that FER2013's label breaks the voters' ties without overruling a clear majority (None: fer2013_weight)",
    )
    fer2013_csv: Annotated[Path | None, Flag("FILE", help="with --data fer2013new.csv: Kaggle's fer2013.csv")] = Field(
        None, description="with data = Microsoft's fer2013new.csv: Kaggle's fer2013.csv, joined by row order"
    )
    arch: Annotated[str, Flag("NAME")] = Field("fernet", description="architecture name (fernet, seed, ...)")
    input_size: int = Field(48, ge=16, le=256)
    epochs: Annotated[int, Flag("N")] = Field(60, ge=1, description="number of epochs")
    batch_size: Annotated[int, Flag("N")] = Field(128, ge=1, description="batch size")
    learning_rate: Annotated[float, Flag("X")] = Field(2e-3, gt=0, description="peak learning rate")
    weight_decay: float = Field(0.05, ge=0)
    warmup_epochs: float = Field(2.0, ge=0)
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    class_weight: Annotated[Literal["none", "balanced", "sqrt"], Flag(help="class weights in the loss")] = Field(
        "none", description="loss re-weighting by inverse class frequency (balanced) or its square root (sqrt)"
    )
    sampling: Annotated[
        Literal["shuffle", "balanced", "sqrt"], Flag(help="draw rare classes more often (default {default})")
    ] = Field(
        "shuffle",
        description="shuffle: every image once per epoch; balanced / sqrt: draw the images of each epoch with "
        "replacement, each class equally often / in proportion to the square root of its frequency",
    )
    logit_adjustment: Annotated[float, Flag("TAU", help="tau of the logit-adjusted loss (0: off)")] = Field(
        0.0,
        ge=0,
        description="logit-adjusted loss (Menon et al., 2021): tau, the loss sees log p + tau * log prior, so the "
        "model learns to favour rare classes (0: off)",
    )
    augment: Annotated[
        AugmentConfig, Flag(name="no-augment", help="turn augmentation off", const={"enabled": False})
    ] = Field(default_factory=AugmentConfig)
    patience: Annotated[int, Flag("N", help="early stopping patience (0: off)")] = Field(
        0, ge=0, description="early stopping patience in epochs (0: off)"
    )
    precision: Annotated[Precision, Flag()] = Field(
        "auto", description="auto: mixed_bfloat16 on CPUs with bf16 units, mixed_float16 on GPUs, float32 otherwise"
    )
    xla: Annotated[bool, Flag()] = Field(False, description="compile with XLA")
    distribute: Annotated[Distribute, Flag(help="tf.distribute strategy (see the distributed-training how-to)")] = (
        Field(
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
    )
    seed: Annotated[int, Flag("N")] = Field(1337, description="random seed")
    resume: Annotated[bool, Flag()] = Field(False, description="continue from OUT/checkpoints")
    init_from: Annotated[
        str | None,
        Flag("MODEL", help="start from a trained model's weights (bundled preset, model folder or .keras file)"),
    ] = Field(
        None,
        description="start from the weights of a trained model of the same arch and labels "
        "(a bundled preset, a model folder or a .keras file): fine-tuning, or a further training cycle",
    )
    average_of: Annotated[
        list[str] | None,
        Flag("MODEL", help="instead of training, average these trained models' weights (two or more)"),
    ] = Field(
        None,
        min_length=2,
        description="instead of training, average the weights of these trained models of the config's arch and "
        "labels (e.g. the ends of successive training cycles) and measure batch-norm statistics on the training data",
    )
    ensemble_of: Annotated[
        list[str] | None,
        Flag(
            "MODEL",
            help="instead of training, build one model averaging these trained models' predictions (two or more)",
        ),
    ] = Field(
        None,
        min_length=2,
        description="instead of training, build one model that averages the predictions of these trained "
        "models (any architectures, the data's labels and the config's input size; see fer_sdk.train.ensemble)",
    )
    teacher: Annotated[
        list[str] | None,
        Flag("MODEL", help="distil: mix these trained models' averaged probabilities into the training targets"),
    ] = Field(
        None,
        min_length=1,
        description="distillation: trained models (the data's labels, the config's input size) whose "
        "probabilities on the training images, averaged over the models and over each image and its mirror "
        "image, are mixed into the training targets",
    )
    teacher_weight: Annotated[float, Flag("W", help="share of the teacher (0-1]")] = Field(
        0.5, gt=0, le=1, description="share of the teacher's probabilities in the targets (the rest: the label)"
    )
    on_error: Annotated[Literal["skip", "raise"], Flag()] = Field(
        "skip", description="skip bad rows and files with a warning, or raise on the first"
    )
    margin: Annotated[float, Flag("X")] = Field(
        0.0, ge=0, le=1, description="crop margin recorded in the model metadata"
    )

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

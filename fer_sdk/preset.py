"""Model presets: a model file with its ``fer_sdk.model/1`` metadata beside it.

A *preset* is a folder holding the network (``model.keras``; for the LiteRT
runtime also, or only, ``model.tflite``) and ``metadata.json``: labels in
output order, input size, the preprocessing the model was trained with,
training data, metrics, the model's class prior and default decision rule,
the SHA-256 of its files. The Keras and LiteRT classifiers read it, the
trainer (:mod:`fer_sdk.train`) and the exporter (:mod:`fer_sdk.export`) write
it, and a plugin that ships weights (``fer-sdk-litert``) bundles its own.
This module is its one home:

* :class:`PresetMetadata`: the schema, read with :meth:`PresetMetadata.load`,
  written with :meth:`PresetMetadata.save`, a model file checked against it
  with :meth:`PresetMetadata.verify`;
* :func:`bundled_presets` and :func:`preset_dir`: the presets a package ships
  (``fer_sdk.presets`` by default, read through :mod:`importlib.resources`);
* :func:`find_preset`, :func:`looks_like_path` and :func:`names_a_model`: how
  a name or a path names a model;
* :class:`ModelFileClassifier`: the base of classifiers that run a preset's
  model file (the built-in ``keras`` and ``litert``, and plugins that bring
  another runtime or presets of their own).

Keys this version does not know are kept (and written back in their place),
so metadata written by a newer fer_sdk survives being rewritten by an older
one (e.g. by ``fer-sdk export --in-place``); unknown keys are never checked.
Reading keeps the file's key order, and writing a metadata read from a file
gives back the same JSON.

Examples:
    >>> from contextlib import ExitStack
    >>> "fernet_fer7" in bundled_presets()
    True
    >>> with ExitStack() as stack:
    ...     meta = PresetMetadata.load(preset_dir("fernet_fer7", stack) / METADATA_FILE)
    >>> meta.labels[:3], meta.input_shape, meta.decision
    (('angry', 'disgust', 'fear'), (48, 48, 1), 'calibrated')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from typing_extensions import Self

from fer_sdk.decision import class_prior, rebalance, resolve_rule
from fer_sdk.errors import InvalidImageError, ModelLoadError
from fer_sdk.interfaces import EmotionClassifier

__all__ = [
    "BUNDLED_PACKAGE",
    "DEFAULT_PRESET",
    "METADATA_FILE",
    "METADATA_FORMAT",
    "MODEL_FILE",
    "MODEL_SUFFIXES",
    "ExportedFrom",
    "ExportedRuntime",
    "ModelFileClassifier",
    "PresetMetadata",
    "RuntimeFile",
    "bundled_presets",
    "find_preset",
    "looks_like_path",
    "names_a_model",
    "preset_dir",
    "sha256_file",
]

METADATA_FORMAT = "fer_sdk.model/1"
METADATA_FILE = "metadata.json"
MODEL_FILE = "model.keras"
DEFAULT_PRESET = "fernet_fer7"
BUNDLED_PACKAGE = "fer_sdk.presets"
MODEL_SUFFIXES: tuple[str, ...] = (".keras", ".tflite")


class _KeyOrdered(BaseModel):
    """A pydantic model that keeps unknown keys and writes its keys in the order it read them.

    Keys set after reading (or given to the constructor) follow, in field order.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if isinstance(data, Mapping) and not model._order:
            model._order = tuple(str(key) for key in data)
        return model

    @model_serializer(mode="wrap")
    def _in_read_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        first = [key for key in self._order if key in data]
        return {key: data[key] for key in [*first, *(key for key in data if key not in self._order)]}


class RuntimeFile(_KeyOrdered):
    """One entry of ``runtime_files``: the model converted for another runtime, in the preset's folder.

    ``fer-sdk export --model DIR --in-place`` writes it (key ``tflite``).
    """

    model_file: str = Field(description="file name, in the preset's folder")
    sha256: str | None = Field(None, description="SHA-256 of that file")
    quantize: str | None = Field(None, description="'none' (float32) or 'dynamic' (int8 weights)")
    exported_from_sha256: str | None = Field(None, description="SHA-256 of the model file it was converted from")
    versions: dict[str, str] | None = Field(None, description="package versions that wrote it")
    exported_at: str | None = Field(None, description="UTC time of the export, ISO 8601")
    max_abs_diff: float | None = Field(None, description="largest difference to the source model's probabilities")


class ExportedRuntime(_KeyOrdered):
    """``runtime`` of an exported model folder (``fer-sdk export --out DIR``)."""

    format: str = Field(description="'tflite' or 'onnx'")
    quantize: str = Field("none", description="'none' or 'dynamic'")
    input_name: str | None = Field(None, description="name of the model's input")


class ExportedFrom(_KeyOrdered):
    """``exported_from`` of an exported model folder: the Keras model it was converted from."""

    model_file: str = Field(MODEL_FILE, description="file name of the source model")
    sha256: str | None = Field(None, description="SHA-256 of the source model file")
    metrics: dict[str, Any] = Field(default_factory=dict, description="the source model's metrics")


class PresetMetadata(_KeyOrdered):
    """The ``metadata.json`` of a model (format ``fer_sdk.model/1``).

    Only ``labels``, ``input_size`` and ``preprocessing`` are required; the
    other fields are ``None`` (``channels``: 1) when a file lacks them, and a
    file keeps exactly its own keys when written back. Unknown keys are kept
    (see the module doc) and readable with :meth:`get`.

    Examples:
        >>> meta = PresetMetadata(labels=["happy", "sad"], input_size=(48, 48), preprocessing={"name": "standard"})
        >>> meta.to_dict()["input_size"], list(meta.to_dict())
        ([48, 48], ['format', 'labels', 'input_size', 'preprocessing'])
        >>> meta.get("arch", "unknown"), meta.input_shape
        ('unknown', (48, 48, 1))
    """

    format: str = Field(METADATA_FORMAT, description="'fer_sdk.model/1' (not checked: read leniently)")
    arch: str | None = Field(None, description="architecture name (fer_sdk.train.models), or 'ensemble'")
    labels: tuple[str, ...] = Field(min_length=1, description="the labels, in the order of the model's outputs")
    input_size: tuple[int, int] = Field(description="(height, width) of the model's input")
    channels: int = Field(1, ge=1, description="channels of the model's input")
    preprocessing: dict[str, Any] = Field(
        description="the preprocessor the model was trained with: {'name': <registered name>, **options}"
    )
    training_data: dict[str, Any] | None = Field(None, description="source, split, images and counts per label")
    metrics: dict[str, Any] | None = Field(None, description="per evaluated split: accuracy, per class, confusion")
    class_prior: dict[str, float] | None = Field(
        None, description="the model's mean output on its training images, per label (decision='balanced')"
    )
    runtime: ExportedRuntime | None = Field(None, description="an exported model's runtime format")
    exported_from: ExportedFrom | None = Field(None, description="the Keras model an exported model came from")
    training: dict[str, Any] | None = Field(None, description="the training run: epochs, speed, config, lineage")
    versions: dict[str, str] | None = Field(None, description="package versions that wrote the model")
    exported_at: str | None = Field(None, description="UTC time of the export, ISO 8601")
    model_file: str | None = Field(None, description="the model file's name, in this folder")
    sha256: str | None = Field(None, description="SHA-256 of the model file")
    runtime_files: dict[str, RuntimeFile] | None = Field(
        None, description="the model converted for other runtimes, by runtime (e.g. 'tflite')"
    )
    decision: Literal["calibrated", "balanced"] | None = Field(
        None, description="the decision rule the classifiers' decision='auto' applies (fer_sdk.decision)"
    )

    _source: Path | None = PrivateAttr(default=None)

    # reading and writing -----------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> PresetMetadata:
        """Read and check a ``metadata.json``.

        Raises:
            ModelLoadError: the file is missing, unreadable, not JSON or does not fit the schema.

        Examples:
            >>> PresetMetadata.load("no/such/metadata.json")
            Traceback (most recent call last):
            ...
            fer_sdk.errors.ModelLoadError: model metadata no/such/metadata.json is missing
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelLoadError(f"model metadata {path} is missing") from None
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"model metadata {path} is unreadable: {exc}") from exc
        if not isinstance(data, dict):
            raise ModelLoadError(f"model metadata {path} must hold a JSON object")
        meta = cls.from_dict(data, where=f"model metadata {path}")
        meta._source = path
        return meta

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "model metadata") -> PresetMetadata:
        """Check ``data`` (a parsed ``metadata.json``) against the schema.

        Raises:
            ModelLoadError: naming ``where`` and each offending key.
        """
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'metadata'}: {e['msg']}" for e in exc.errors())
            raise ModelLoadError(f"{where} does not fit {METADATA_FORMAT}: {problems}") from exc

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``metadata.json``: the keys it was read with (or given), ``format`` always."""
        data = self.model_dump(mode="json", exclude_unset=True)
        return data if "format" in data else {"format": self.format, **data}

    def to_json(self) -> str:
        """The text of ``metadata.json``: :meth:`to_dict` indented by two spaces, ending in a newline."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write ``metadata.json`` to ``path`` (a file, or a folder to write it into), atomically.

        Returns:
            The path written.
        """
        path = Path(path)
        if path.is_dir():
            path = path / METADATA_FILE
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
        self._source = path
        return path

    # reading fields ----------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` as :meth:`to_dict` has it (a field or an unknown key), else ``default``."""
        return self.to_dict().get(key, default)

    def __getitem__(self, key: str) -> Any:
        """The value of ``key`` as in the JSON file; :class:`KeyError` when the file lacks it."""
        missing = object()
        value = self.get(key, missing)
        if value is missing:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.to_dict()

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(height, width, channels)`` the model takes."""
        return self.input_size[0], self.input_size[1], self.channels

    @property
    def source(self) -> Path | None:
        """The file this metadata was read from (or last saved to), if any."""
        return self._source

    # checksums ---------------------------------------------------------------------
    def verify(self, model_path: str | Path, *, expected: str | None = None, actual: str | None = None) -> None:
        """Refuse ``model_path`` unless its SHA-256 is the one this metadata records.

        Args:
            model_path: the model file.
            expected: the digest to expect (default: ``sha256``, the model file's);
                e.g. a ``runtime_files`` entry's for a converted file.
            actual: the file's digest when the caller has already read it
                (otherwise it is computed from the file).

        Raises:
            ModelLoadError: no digest is recorded, or the file's differs.

        Examples:
            >>> from contextlib import ExitStack
            >>> with ExitStack() as stack:
            ...     folder = preset_dir("fernet_fer7", stack)
            ...     PresetMetadata.load(folder / METADATA_FILE).verify(folder / MODEL_FILE)
        """
        model_path = Path(model_path)
        expected = expected if expected is not None else self.sha256
        where = self._source or "(not read from a file)"
        if not expected:
            raise ModelLoadError(f"model metadata {where} has no sha256 to verify {model_path} with")
        actual = actual or sha256_file(model_path)
        if actual != expected:
            raise ModelLoadError(
                f"model file {model_path} has SHA-256 {actual}, but its metadata expects {expected}: "
                "the file is truncated, corrupted or was replaced"
            )


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# where presets are -------------------------------------------------------------------
def bundled_presets(package: str = BUNDLED_PACKAGE) -> list[str]:
    """Names of the presets shipped inside ``package`` (each a folder with ``metadata.json``).

    Examples:
        >>> bundled_presets()
        ['fernet_fer7', 'fernet_fer7_fer2013']
    """
    root = resources.files(package)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / METADATA_FILE).is_file())


def preset_dir(name: str, stack: ExitStack, package: str = BUNDLED_PACKAGE) -> Path:
    """The folder of the preset ``name`` shipped in ``package``, as a real path for the life of ``stack``."""
    return Path(stack.enter_context(resources.as_file(resources.files(package) / name)))


def looks_like_path(spec: str) -> bool:
    """Whether ``spec`` is written as a path (a model file's suffix, or a folder separator) rather than a name.

    Examples:
        >>> looks_like_path("runs/my_model"), looks_like_path("model.tflite"), looks_like_path("fernet_fer7")
        (True, True, False)
    """
    return spec.endswith(MODEL_SUFFIXES) or "/" in spec or "\\" in spec


def names_a_model(spec: str) -> bool:
    """Whether ``spec`` names a model: written as a path, an existing folder or a bundled preset.

    Examples:
        >>> names_a_model("fernet_fer7_fer2013"), names_a_model("litert")
        (True, False)
    """
    return looks_like_path(spec) or Path(spec).is_dir() or spec in bundled_presets()


def find_preset(
    spec: str, stack: ExitStack, packages: Sequence[str] = (BUNDLED_PACKAGE,)
) -> tuple[Path, Path | None] | None:
    """Where the model ``spec`` names is: ``(folder, model file or None)``, or ``None`` when nothing exists.

    A name (not :func:`looks_like_path`) is first looked up among the presets of
    ``packages``, in order; then ``spec`` is a folder (``(folder, None)``: the
    caller picks the file the metadata names) or a model file with
    ``metadata.json`` beside it (``(its folder, file)``). Bundled folders stay
    real paths for the life of ``stack``.

    Examples:
        >>> from contextlib import ExitStack
        >>> with ExitStack() as stack:
        ...     folder, file = find_preset("fernet_fer7", stack)
        >>> folder.name, file
        ('fernet_fer7', None)
    """
    if not looks_like_path(spec):
        for package in packages:
            if spec in bundled_presets(package):
                return preset_dir(spec, stack, package), None
    path = Path(spec).expanduser()
    if path.is_dir():
        return path, None
    if path.is_file():
        return path.parent, path
    return None


class ModelFileClassifier(EmotionClassifier):
    """A classifier whose model file has a ``fer_sdk.model/1`` metadata file beside it (:mod:`fer_sdk.preset`).

    Subclasses implement ``_locate(stack) -> (model path, metadata path)``
    (:func:`fer_sdk.preset.find_preset` finds what a name or path names, among
    the presets of :attr:`preset_packages`) and set ``self._meta = None`` in
    ``__init__``; labels, preprocessing and input shape come from the
    metadata, read once. The Keras and LiteRT classifiers and runtime plugins
    (e.g. ``fer-sdk-litert``, which bundles presets of its own) share it.
    """

    preset_packages: ClassVar[tuple[str, ...]] = (BUNDLED_PACKAGE,)
    """Packages whose bundled presets the ``model`` option may name, searched in order."""

    _meta: PresetMetadata | None

    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        raise NotImplementedError

    @classmethod
    def bundled_presets(cls) -> list[str]:
        """The preset names the ``model`` option takes (those of :attr:`preset_packages`)."""
        return sorted({name for package in cls.preset_packages for name in bundled_presets(package)})

    @property
    def metadata(self) -> PresetMetadata:
        """The model's metadata (labels, input size, preprocessing, data, metrics, checksum)."""
        if self._meta is None:
            with ExitStack() as stack:
                _, meta_path = self._locate(stack)
                self._meta = PresetMetadata.load(meta_path)
        return self._meta

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels, in output order."""
        return self.metadata.labels

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The preprocessing the model was trained with, from its metadata."""
        return dict(self.metadata.preprocessing)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(height, width, channels)`` the model takes."""
        return self.metadata.input_shape

    def load(self) -> None:
        """Read and check the model now (otherwise done on first use)."""

    def warmup(self, sample: np.ndarray) -> None:
        """Load the model and run the forward passes of one face and of several on ``sample``.

        One crop and a batch take different paths (a compiled single-crop pass,
        batch sizes, precision), so both are built now.
        """
        self.load()
        sample = np.asarray(sample)[:1]
        for n in (1, 2):
            self.predict_proba(np.repeat(sample, n, axis=0))

    def decision_rule(self, requested: str = "auto") -> str:
        """The decision rule ``requested`` resolves to for this model (``auto``: the metadata's default).

        Raises:
            ModelLoadError: ``balanced`` for a model whose metadata has no ``class_prior``.
        """
        rule = resolve_rule(requested, self.metadata)
        if rule == "balanced":
            class_prior(self.metadata, self.labels, "model")
        return rule

    def _postprocess(self, probs: np.ndarray) -> np.ndarray:
        """The last step of :meth:`predict_proba` in every runtime of the model (Keras, LiteRT).

        The network's probabilities ``(n, len(labels))`` in, the classifier's out: the
        decision rule (:mod:`fer_sdk.decision`) of the ``decision`` option is applied.
        """
        requested = str(getattr(getattr(self, "options", None), "decision", "auto"))
        if resolve_rule(requested, self.metadata) != "balanced":
            return probs
        return rebalance(probs, class_prior(self.metadata, self.labels, "model"))

    def _checked(self, batch: np.ndarray) -> np.ndarray:
        """``batch`` as float32, or :class:`InvalidImageError` if it is not ``(n, h, w, c)`` of the model's size."""
        batch = np.asarray(batch, dtype=np.float32)
        expected = self.input_shape
        if batch.ndim != 4 or batch.shape[1:] != expected:
            raise InvalidImageError(
                f"classifier input: got an array of shape {batch.shape}; expected (n, {expected[0]}, "
                f"{expected[1]}, {expected[2]}) float32 from the preprocessor"
            )
        return batch

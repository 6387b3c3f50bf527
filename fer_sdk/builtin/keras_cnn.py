"""The default classifier: a Keras 3 / TensorFlow CNN with weights shipped in the package.

A model is a folder (a *preset*) holding ``model.keras`` and ``metadata.json``
(labels in order, input size, preprocessing, training data, metrics, SHA-256
of the model file). The bundled preset lives in ``fer_sdk/presets`` and is read
through :mod:`importlib.resources`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk.errors import InvalidImageError, ModelLoadError
from fer_sdk.interfaces import EmotionClassifier

logger = logging.getLogger(__name__)

DEFAULT_PRESET = "fernet_fer7"
MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
METADATA_FORMAT = "fer_sdk.model/1"


class KerasOptions(BaseModel):
    """Options of :class:`KerasClassifier` (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        DEFAULT_PRESET,
        description="a bundled preset name, a model folder (model.keras + metadata.json) or a .keras file "
        "with metadata.json beside it",
    )
    batch_size: int = Field(64, ge=1, description="largest batch per forward pass")
    verify_checksum: bool = Field(True, description="refuse a model file whose SHA-256 differs from its metadata")
    safe_mode: bool = Field(
        True, description="Keras safe mode: refuse models that would run code (Lambda layers) when loaded"
    )
    device: str | None = Field(None, description="TensorFlow device, e.g. '/CPU:0'; None lets TensorFlow choose")
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="auto: bfloat16 for batches of at least bf16_min_batch crops on a CPU with bfloat16 units "
        "(AVX512-BF16 or AMX) and no GPU, float32 otherwise; float32: always (bit-stable results); bfloat16: always",
    )
    bf16_min_batch: int = Field(
        16,
        ge=1,
        description="with precision='auto', the smallest batch run in bfloat16 (single crops are faster in float32)",
    )


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX-BF16).

    Examples:
        >>> isinstance(cpu_supports_bf16(), bool)
        True
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bfloat16_twin(model: Any) -> Any:
    """A copy of a Keras model that computes in bfloat16 (``mixed_bfloat16``), with the same weights.

    The last layer (the softmax) keeps its own precision, so probabilities are
    computed in float32 from bfloat16 logits.

    Examples:
        >>> twin = bfloat16_twin(KerasClassifier().keras_model)  # doctest: +SKIP
        >>> twin.get_layer("block1_conv1").dtype_policy.name  # doctest: +SKIP
        'mixed_bfloat16'
    """
    import keras

    last = model.layers[-1].name

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name != last and "dtype" in config:
            config["dtype"] = "mixed_bfloat16"
        return layer.__class__.from_config(config)

    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    return twin


def bundled_presets() -> list[str]:
    """Names of the presets shipped inside the package.

    Examples:
        >>> "fernet_fer7" in bundled_presets()
        True
    """
    root = resources.files("fer_sdk.presets")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / METADATA_FILE).is_file())


def read_metadata(path: Path) -> dict[str, Any]:
    """Read and check a metadata file."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"model metadata {path} is missing") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"model metadata {path} is unreadable: {exc}") from exc
    if not isinstance(meta, dict):
        raise ModelLoadError(f"model metadata {path} must hold a JSON object")
    missing = {"labels", "input_size", "preprocessing"} - set(meta)
    if missing:
        raise ModelLoadError(f"model metadata {path} lacks {sorted(missing)}")
    labels = meta["labels"]
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise ModelLoadError(f"model metadata {path}: 'labels' must be a non-empty list of strings")
    return meta


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(model_path: Path, meta: dict[str, Any], meta_path: Path, actual: str | None = None) -> None:
    """Refuse ``model_path`` unless its SHA-256 is the one ``meta`` records.

    ``actual`` is the digest when the caller has already read the file (otherwise
    it is computed from the file).
    """
    expected = meta.get("sha256")
    if not expected:
        raise ModelLoadError(f"model metadata {meta_path} has no sha256 to verify {model_path} with")
    actual = actual or sha256_file(model_path)
    if actual != expected:
        raise ModelLoadError(
            f"model file {model_path} has SHA-256 {actual}, but its metadata expects {expected}: "
            "the file is truncated, corrupted or was replaced"
        )


class ModelFileClassifier(EmotionClassifier):
    """A classifier whose model file has a ``fer_sdk.model/1`` metadata file beside it.

    Subclasses implement ``_locate(stack) -> (model path, metadata path)`` and set
    ``self._meta = None`` in ``__init__``; labels, preprocessing and input shape
    come from the metadata, read once. The Keras classifier and runtime plugins
    (e.g. ``fer-sdk-litert``) share it.
    """

    _meta: dict[str, Any] | None

    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        raise NotImplementedError

    @property
    def metadata(self) -> dict[str, Any]:
        """The model's metadata (labels, input size, preprocessing, data, metrics, checksum)."""
        if self._meta is None:
            with ExitStack() as stack:
                _, meta_path = self._locate(stack)
                self._meta = read_metadata(meta_path)
        return self._meta

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels, in output order."""
        return tuple(self.metadata["labels"])

    @property
    def preprocessing(self) -> dict[str, Any]:
        """The preprocessing the model was trained with, from its metadata."""
        return dict(self.metadata["preprocessing"])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(height, width, channels)`` the model takes."""
        h, w = self.metadata["input_size"]
        return int(h), int(w), int(self.metadata.get("channels", 1))

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


class KerasClassifier(ModelFileClassifier):
    """Keras CNN emotion classifier; loads lazily and batches faces into one forward pass.

    Keyword options (:class:`KerasOptions`, unknown keys are errors):

    - ``model``: a bundled preset name (default ``fernet_fer7``), a folder with
      ``model.keras`` and ``metadata.json``, or a ``.keras`` file with
      ``metadata.json`` beside it;
    - ``batch_size``: largest batch per forward pass;
    - ``verify_checksum``: refuse a model whose SHA-256 differs from its metadata;
    - ``safe_mode``: keep Keras safe mode on (models cannot run code when loaded);
    - ``device``: a TensorFlow device string; by default TensorFlow picks the GPU
      when it sees one;
    - ``precision``: ``auto`` (default) runs batches of ``bf16_min_batch`` (16) or
      more crops in bfloat16 on CPUs with bfloat16 units (about 1.3-1.4x the crops
      per second; the PublicTest change is in the model card) and everything else in
      float32; ``float32`` always (bit-stable results whatever the batch);
      ``bfloat16`` always.

    Examples:
        >>> clf = KerasClassifier()          # cheap: nothing is loaded yet
        >>> clf.labels                       # reads the metadata only
        ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """

    name = "keras"

    def __init__(self, **options: object) -> None:
        self.options = KerasOptions.model_validate(options)
        self._lock = threading.Lock()
        self._meta: dict[str, Any] | None = None
        self._forward: Any = None
        self._forward_bf16: Any = None
        self._bf16_ok: bool | None = None
        self._model: Any = None

    # metadata ------------------------------------------------------------------
    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        spec = self.options.model
        path = Path(spec)
        path_like = "/" in spec or "\\" in spec or path.suffix == ".keras"
        if not path_like and spec in bundled_presets():
            folder = stack.enter_context(resources.as_file(resources.files("fer_sdk.presets") / spec))
            return folder / MODEL_FILE, folder / METADATA_FILE
        if path.is_dir():
            return path / MODEL_FILE, path / METADATA_FILE
        if path.is_file():
            return path, path.with_name(METADATA_FILE)
        if path_like:
            raise ModelLoadError(f"model path {spec!r} does not exist")
        raise ModelLoadError(
            f"{spec!r} is neither a model folder, a .keras file nor a bundled preset "
            f"(bundled: {', '.join(bundled_presets())})"
        )

    # model -----------------------------------------------------------------------
    def load(self) -> None:
        """Load TensorFlow and the weights now (otherwise done on first use)."""
        if self._forward is not None:
            return
        with self._lock:
            if self._forward is not None:
                return
            with ExitStack() as stack:
                model_path, meta_path = self._locate(stack)
                meta = read_metadata(meta_path)
                if not model_path.is_file():
                    raise ModelLoadError(f"model file {model_path} is missing")
                if self.options.verify_checksum:
                    verify_sha256(model_path, meta, meta_path)
                self._model = self._load_keras(model_path)
            self._meta = meta
            self._forward = self._make_forward(self._model)

    def _load_keras(self, model_path: Path) -> Any:
        import keras

        try:
            return keras.models.load_model(model_path, compile=False, safe_mode=self.options.safe_mode)
        except ValueError as exc:
            if "safe_mode" in str(exc) or "Lambda" in str(exc):
                raise ModelLoadError(
                    f"model file {model_path} contains code (e.g. a Lambda layer) and Keras safe mode is on; "
                    "pass safe_mode=False only for a model from a source you trust"
                ) from exc
            raise ModelLoadError(f"could not load model file {model_path}: {exc}") from exc
        except Exception as exc:
            raise ModelLoadError(f"could not load model file {model_path}: {type(exc).__name__}: {exc}") from exc

    def _make_forward(self, model: Any) -> Any:
        import tensorflow as tf

        h, w, c = self.input_shape
        spec = tf.TensorSpec([None, h, w, c], tf.float32)

        @tf.function(input_signature=[spec], reduce_retracing=True)
        def forward(x: Any) -> Any:
            return tf.cast(model(x, training=False), tf.float32)

        return forward

    @property
    def keras_model(self) -> Any:
        """The loaded ``keras.Model`` (loads it if needed), e.g. to inspect layers."""
        self.load()
        return self._model

    def _uses_bf16(self, n: int) -> bool:
        """Whether a chunk of ``n`` crops runs in bfloat16."""
        precision = self.options.precision
        if precision == "float32" or (precision == "auto" and n < self.options.bf16_min_batch):
            return False
        if precision == "auto" and self._bf16_ok is None:
            import tensorflow as tf

            on_cpu = "CPU" in (self.options.device or "").upper()
            gpu = not on_cpu and bool(tf.config.list_physical_devices("GPU"))
            self._bf16_ok = cpu_supports_bf16() and not gpu
        return precision == "bfloat16" or bool(self._bf16_ok)

    def _bf16_forward(self) -> Any:
        if self._forward_bf16 is None:
            with self._lock:
                if self._forward_bf16 is None:
                    self._forward_bf16 = self._make_forward(bfloat16_twin(self._model))
        return self._forward_bf16

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, len(labels))`` for a prepared batch ``(n, h, w, c)`` float32."""
        self.load()
        batch = self._checked(batch)
        if batch.shape[0] == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        outs = []
        step = self.options.batch_size
        for start in range(0, batch.shape[0], step):
            chunk = np.ascontiguousarray(batch[start : start + step])
            forward = self._bf16_forward() if self._uses_bf16(len(chunk)) else self._forward
            if self.options.device:
                import tensorflow as tf

                with tf.device(self.options.device):
                    outs.append(forward(chunk).numpy())
            else:
                outs.append(forward(chunk).numpy())
        return np.concatenate(outs)

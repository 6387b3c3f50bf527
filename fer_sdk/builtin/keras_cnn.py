"""The default classifier: a Keras 3 / TensorFlow CNN with weights shipped in the package.

A model is a folder (a *preset*, :mod:`fer_sdk.preset`) holding ``model.keras``
and ``metadata.json`` (labels in order, input size, preprocessing, training
data, metrics, SHA-256 of the model file). The bundled presets live in
``fer_sdk/presets`` and are read through :mod:`importlib.resources`.
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk._cpu import cpu_flags
from fer_sdk._quiet import dependency_output
from fer_sdk.decision import DECISION_HELP, DecisionRule
from fer_sdk.errors import ModelLoadError
from fer_sdk.preset import (
    DEFAULT_PRESET,
    METADATA_FILE,
    MODEL_FILE,
    ModelFileClassifier,
    PresetMetadata,
    find_preset,
    looks_like_path,
)

logger = logging.getLogger(__name__)

__all__ = [
    "KerasClassifier",
    "KerasOptions",
    "bfloat16_twin",
    "cpu_supports_bf16",
    "fold_batchnorm",
]


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
        2,
        ge=1,
        description="with precision='auto', the smallest batch run in bfloat16 (a single crop runs as fast in "
        "float32, so it keeps float32's exact results)",
    )
    xla_single_crop: bool = Field(
        True,
        description="on a CPU, compile the float32 forward pass of a single crop with XLA (faster for one face; "
        "compiled on first use, or in EmotionRecognizer.warmup())",
    )
    fold_batchnorm: bool = Field(
        True,
        description="run a copy of the model with each batch normalisation folded into the convolution or dense "
        "layer before it (same results to float rounding, faster); False: run the model as saved",
    )
    decision: DecisionRule = Field("auto", description=DECISION_HELP)
    flip_tta: bool = Field(
        False,
        description="test-time augmentation: also classify each crop's mirror image and average the two "
        "probabilities (more accurate, see the model card; twice the classifier time)",
    )


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX-BF16).

    Examples:
        >>> isinstance(cpu_supports_bf16(), bool)
        True
    """
    flags = cpu_flags() or frozenset()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def bfloat16_twin(model: Any) -> Any:
    """A copy of a Keras model that computes in bfloat16 and holds its weights in bfloat16.

    Weights stored in bfloat16 spare the cast of every weight on every call that
    ``mixed_bfloat16`` makes, which is most of the time for a few crops. Batch
    normalisations (with ``fold_batchnorm=False``) keep float32 statistics
    (``mixed_bfloat16``), and the last layer and every softmax keep their own
    precision, so probabilities are computed in float32 from bfloat16 logits
    (also inside an ensemble, whose members' probabilities are averaged).

    Examples:
        >>> twin = bfloat16_twin(KerasClassifier().keras_model)  # doctest: +SKIP
        >>> twin.get_layer("block1_conv1").dtype_policy.name  # doctest: +SKIP
        'bfloat16'
    """
    import keras

    last = model.layers[-1].name

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        softmax = isinstance(layer, keras.layers.Activation) and config.get("activation") == "softmax"
        if layer.name != last and not softmax and "dtype" in config:
            norm = isinstance(layer, keras.layers.BatchNormalization)
            config["dtype"] = "mixed_bfloat16" if norm else "bfloat16"
        return layer.__class__.from_config(config)

    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    return twin


def _foldable_pairs(model: Any) -> dict[str, str]:
    """``{batch-norm layer name: name of the layer it folds into}`` for a functional or Sequential model.

    A batch normalisation folds into the layer before it when that layer is a
    Conv1D/2D/3D or Dense layer without an activation, whose output goes to the
    batch normalisation only, normalising the last axis (channels last).
    """
    import keras
    from keras import layers

    linear_types = (layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.Dense)
    try:
        consumers: dict[int, int] = {}
        for layer in model.layers:
            for tensor in keras.tree.flatten(layer.input):
                consumers[id(tensor)] = consumers.get(id(tensor), 0) + 1
        for tensor in keras.tree.flatten(model.outputs):
            consumers[id(tensor)] = consumers.get(id(tensor), 0) + 1
        pairs = {}
        for bn in model.layers:
            if not isinstance(bn, layers.BatchNormalization):
                continue
            history = getattr(bn.input, "_keras_history", None)
            src = getattr(history, "operation", None)
            if not isinstance(src, linear_types) or consumers.get(id(src.output)) != 1:
                continue
            config = src.get_config()
            if config.get("activation", "linear") != "linear" or config.get("data_format", "channels_last") != (
                "channels_last"
            ):
                continue
            if bn.axis not in (-1, len(bn.input.shape) - 1) or getattr(src, "lora_enabled", False):
                continue
            pairs[bn.name] = src.name
        return pairs
    except (AttributeError, ValueError, TypeError):  # shared layers, subclassed models: fold nothing
        return {}


def fold_batchnorm(model: Any) -> Any:
    """An inference copy of a Keras model with each batch normalisation folded into the layer before it.

    A batch normalisation right after a convolution or dense layer without an
    activation is an affine map per channel, so it can be merged into that
    layer's kernel and bias: the copy computes the same function (to float
    rounding) with fewer operations (``benchmarks/classifier_runtimes.py``
    compares the bundled model as saved). Batch normalisations that do not follow
    such a layer are kept; a model with none to fold is returned as it is. The copy is for
    inference only (its batch statistics are frozen into the weights).

    Examples:
        >>> import keras
        >>> inputs = keras.Input((8, 8, 1))
        >>> x = keras.layers.Conv2D(4, 3, use_bias=False)(inputs)
        >>> x = keras.layers.BatchNormalization()(x)
        >>> model = keras.Model(inputs, keras.layers.ReLU()(x))
        >>> [type(layer).__name__ for layer in fold_batchnorm(model).layers]
        ['InputLayer', 'Conv2D', 'Folded', 'ReLU']
    """
    import keras

    pairs = _foldable_pairs(model)
    if not pairs:
        return model
    folded_into = set(pairs.values())

    class Folded(keras.layers.Layer):
        """Passes its input on, where a folded batch normalisation was (and takes the same arguments)."""

        def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
            return inputs

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name in pairs:
            return Folded(name=layer.name, dtype=config.get("dtype"))
        if layer.name in folded_into:
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    try:
        twin = keras.models.clone_model(model, clone_function=clone)
    except (ValueError, TypeError) as exc:
        logger.warning("could not fold the batch normalisations of %s (%s); running it as saved", model.name, exc)
        return model
    for layer in model.layers:
        if layer.weights and layer.name not in pairs and layer.name not in folded_into:
            twin.get_layer(layer.name).set_weights(layer.get_weights())
    for bn_name, src_name in pairs.items():
        bn, src = model.get_layer(bn_name), model.get_layer(src_name)
        kernel = np.asarray(src.kernel, np.float64)
        bias = np.asarray(src.bias, np.float64) if src.use_bias else np.zeros(kernel.shape[-1])
        mean = np.asarray(bn.moving_mean, np.float64)
        scale = 1.0 / np.sqrt(np.asarray(bn.moving_variance, np.float64) + bn.epsilon)
        if bn.gamma is not None:
            scale = scale * np.asarray(bn.gamma, np.float64)
        shift = np.asarray(bn.beta, np.float64) if bn.beta is not None else 0.0
        dtype = np.asarray(src.kernel).dtype
        twin.get_layer(src_name).set_weights(
            [(kernel * scale).astype(dtype), ((bias - mean) * scale + shift).astype(dtype)]
        )
    return twin


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
    - ``precision``: ``auto`` (default) runs batches of ``bf16_min_batch`` (2) or
      more crops in bfloat16 on CPUs with bfloat16 units (the speed and the
      PublicTest change are in the model card) and single crops in
      float32; ``float32`` always (bit-stable results whatever the batch);
      ``bfloat16`` always;
    - ``xla_single_crop``: on a CPU, a single float32 crop runs a forward pass
      compiled with XLA (faster for one face; compiled on first use);
    - ``fold_batchnorm``: run a copy of the model with its batch normalisations
      folded into the layers before them (:func:`fold_batchnorm`; default on);
      :attr:`keras_model` stays the model as saved;
    - ``flip_tta``: also classify each crop's mirror image and average the two
      probabilities (the model card gives the accuracy with and without; twice
      the classifier time; default off);
    - ``decision``: ``calibrated`` (the network's probabilities), ``balanced``
      (divided by the model's class prior: every emotion equally likely a
      priori) or ``auto`` (default: the rule the model's metadata names; see
      :mod:`fer_sdk.decision` and the model card).

    Examples:
        >>> clf = KerasClassifier()          # cheap: nothing is loaded yet
        >>> clf.labels                       # reads the metadata only
        ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    """

    name = "keras"

    def __init__(self, **options: object) -> None:
        self.options = KerasOptions.model_validate(options)
        self._lock = threading.Lock()
        self._meta: PresetMetadata | None = None
        self._forward: Any = None
        self._forward_bf16: Any = None
        self._forward_xla: Any = None  # None: not built yet; False: XLA could not compile here
        self._cpu: bool | None = None
        self._bf16_ok: bool | None = None  # auto precision may use bfloat16 here
        self._model: Any = None
        self._inference: Any = None  # the model the forward passes run: _model, batch norms folded

    # metadata ------------------------------------------------------------------
    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        spec = self.options.model
        found = find_preset(spec, stack, self.preset_packages)
        if found is not None:
            folder, file = found
            return file or folder / MODEL_FILE, folder / METADATA_FILE
        if looks_like_path(spec):
            raise ModelLoadError(f"model path {spec!r} does not exist")
        raise ModelLoadError(
            f"{spec!r} is neither a model folder, a .keras file nor a bundled preset "
            f"(bundled: {', '.join(self.bundled_presets())})"
        )

    # model -----------------------------------------------------------------------
    def load(self) -> None:
        """Load TensorFlow and the weights now (otherwise done on first use)."""
        if self._forward is not None:
            return
        with self._lock, dependency_output():  # TensorFlow's start-up messages go to logging
            if self._forward is not None:
                return
            with ExitStack() as stack:
                model_path, meta_path = self._locate(stack)
                meta = PresetMetadata.load(meta_path)
                if not model_path.is_file():
                    raise ModelLoadError(f"model file {model_path} is missing")
                if self.options.verify_checksum:
                    meta.verify(model_path)
                self._model = self._load_keras(model_path)
            self._meta = meta
            with self._safe_mode():
                self._inference = fold_batchnorm(self._model) if self.options.fold_batchnorm else self._model
            self._forward = self._make_forward(self._inference)

    def _load_keras(self, model_path: Path) -> Any:
        from fer_sdk.runtime import require_tensorflow

        require_tensorflow("the keras classifier")
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

    def _make_forward(self, model: Any, jit_compile: bool = False) -> Any:
        import tensorflow as tf

        h, w, c = self.input_shape
        spec = tf.TensorSpec([None, h, w, c], tf.float32)

        @tf.function(input_signature=[spec], reduce_retracing=True, jit_compile=jit_compile)
        def forward(x: Any) -> Any:
            return tf.cast(model(x, training=False), tf.float32)

        # the traced function itself: calling it skips tf.function's argument matching,
        # about 0.5 ms a call on 2 cores (the device option applies where it is called)
        return forward.get_concrete_function()

    @property
    def keras_model(self) -> Any:
        """The loaded ``keras.Model`` (loads it if needed), e.g. to inspect layers."""
        self.load()
        return self._model

    @property
    def inference_model(self) -> Any:
        """The model the forward passes run: :attr:`keras_model`, its batch norms folded (``fold_batchnorm``)."""
        self.load()
        return self._inference

    def _safe_mode(self) -> AbstractContextManager[Any]:
        """Keras safe mode as the model was loaded with, while copies of it are made from layer configs."""
        try:
            from keras.src.saving.serialization_lib import SafeModeScope
        except ImportError:  # another Keras layout: its default (safe) mode
            return nullcontext()
        return SafeModeScope(self.options.safe_mode)

    def _cpu_only(self) -> bool:
        """No GPU runs the model: the ``device`` option names a CPU, or TensorFlow sees no GPU."""
        if self._cpu is None:
            import tensorflow as tf

            on_cpu = "CPU" in (self.options.device or "").upper()
            with dependency_output():  # CUDA's messages where there is no GPU
                self._cpu = on_cpu or not tf.config.list_physical_devices("GPU")
        return self._cpu

    def _uses_bf16(self, n: int) -> bool:
        """Whether a chunk of ``n`` crops runs in bfloat16."""
        precision = self.options.precision
        if precision == "float32" or (precision == "auto" and n < self.options.bf16_min_batch):
            return False
        if self._bf16_ok is None:
            self._bf16_ok = cpu_supports_bf16() and self._cpu_only()
        return precision == "bfloat16" or self._bf16_ok

    def _pick_forward(self, n: int) -> Any:
        """The forward pass for a chunk of ``n`` crops."""
        if self._uses_bf16(n):
            if self._forward_bf16 is None:
                with self._lock:
                    if self._forward_bf16 is None:
                        with self._safe_mode():
                            twin = bfloat16_twin(self._inference)
                        self._forward_bf16 = self._make_forward(twin)
            return self._forward_bf16
        if n == 1 and self.options.xla_single_crop and self._cpu_only():
            if self._forward_xla is None:
                with self._lock:
                    if self._forward_xla is None:
                        self._forward_xla = self._compile_single_crop()
            if self._forward_xla is not False:
                return self._forward_xla
        return self._forward

    def _compile_single_crop(self) -> Any:
        """The single-crop forward pass compiled with XLA (compiled now, on a blank crop), or False."""
        forward = self._make_forward(self._inference, jit_compile=True)
        try:
            with dependency_output():  # XLA's start-up messages
                self._run(forward, np.zeros((1, *self.input_shape), np.float32))
        except Exception as exc:  # a TensorFlow build without XLA on this CPU: the plain graph
            logger.warning("XLA could not compile the single-crop forward pass (%s); running without", exc)
            return False
        return forward

    def _run(self, forward: Any, chunk: np.ndarray) -> np.ndarray:
        scope: AbstractContextManager[Any] = nullcontext()
        if self.options.device:
            import tensorflow as tf

            scope = tf.device(self.options.device)
        with scope:
            return np.asarray(forward(chunk).numpy())

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
            forward = self._pick_forward(len(chunk))
            probs = self._run(forward, chunk)
            if self.options.flip_tta:  # the mirror images take the same path (precision, XLA) as the crops
                probs = (probs + self._run(forward, np.ascontiguousarray(chunk[:, :, ::-1]))) / 2.0
            outs.append(probs)
        return self._postprocess(np.concatenate(outs))

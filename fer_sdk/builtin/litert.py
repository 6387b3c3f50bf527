"""The bundled emotion CNN on LiteRT (TensorFlow Lite) with XNNPACK: no TensorFlow at run time.

Classifier ``litert`` (alias ``tflite``). It runs the LiteRT files that ship
beside ``model.keras`` in each bundled preset (written by ``fer-sdk export
--model DIR --in-place``): ``model.tflite``, the Keras model in float32 (its
probabilities to float rounding), and ``model_int8.tflite``, the same network
with int8 weights, about three times as fast on one crop on CPUs with int8
dot-product instructions (:func:`cpu_has_int8_dot`), no faster without them.
On such CPUs each batch goes through the int8 copy first; the crops whose two
best scores are closer than ``recheck_margin`` (about one in ten) go through
the float32 model again, so every crop gets the float32 model's label, and the
others probabilities within 0.05 of it. Elsewhere, or with ``int8=False``, the
float32 file runs alone; ``int8=True`` asks for int8 first on any CPU. It is what the default classifier
(``"auto"``, see :mod:`fer_sdk.runtime`) runs on a machine without a GPU.

A model is named as for the Keras classifier: a bundled preset (default
``fernet_fer7``), a model folder whose ``metadata.json`` records a LiteRT file
(``runtime_files.tflite``, as ``--in-place`` writes it, or an export folder
written by ``fer-sdk export --out DIR``), or a ``.tflite`` file with its
``metadata.json`` beside it.

Examples:
    >>> import numpy as np
    >>> clf = LiteRTClassifier(threads=1)
    >>> clf.labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
    >>> clf.predict_proba(np.zeros((3, 48, 48, 1), np.float32)).shape
    (3, 7)
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from fer_sdk._cpu import cpu_flags
from fer_sdk._quiet import dependency_output
from fer_sdk.decision import DECISION_HELP, DecisionRule
from fer_sdk.errors import ModelLoadError
from fer_sdk.preset import DEFAULT_PRESET, METADATA_FILE, ModelFileClassifier, PresetMetadata, find_preset

__all__ = ["LiteRTClassifier", "LiteRTOptions", "cpu_has_int8_dot", "int8_file", "litert_file", "litert_installed"]

logger = logging.getLogger(__name__)

TFLITE_FILE = "model.tflite"
RUNTIME_KEY = "tflite"  # the key under metadata["runtime_files"]
INT8_FILE = "model_int8.tflite"
INT8_KEY = "tflite_int8"  # the int8 copy (dynamic-range quantized), under metadata["runtime_files"]
RECHECK_MARGIN = 0.1
"""Default ``recheck_margin``: at least twice the largest difference between the int8 and float32 probabilities
of the bundled models on 6,000 FER2013 training faces (0.046 for the previous default, 0.033 for today's), so a
label the int8 copy would change is rechecked (``benchmarks/experiments/int8_recheck.py``)."""
MAX_DEFAULT_THREADS = 4


def litert_installed() -> bool:
    """Whether the LiteRT runtime (``ai-edge-litert``) is installed; nothing is imported.

    Examples:
        >>> isinstance(litert_installed(), bool)
        True
    """
    try:
        return importlib.util.find_spec("ai_edge_litert") is not None
    except (ImportError, ValueError):
        return False


class LiteRTOptions(BaseModel):
    """Options of :class:`LiteRTClassifier` (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        DEFAULT_PRESET,
        description="a bundled preset name, a model folder whose metadata.json records a .tflite file, "
        "or a .tflite file with metadata.json beside it",
    )
    threads: int | None = Field(
        None, ge=1, le=256, description=f"threads per forward pass; None: usable cores, at most {MAX_DEFAULT_THREADS}"
    )
    batch_size: int = Field(8, ge=1, le=1024, description="largest batch per forward pass")
    verify_checksum: bool = Field(True, description="refuse a model file whose SHA-256 differs from its metadata")
    flip_tta: bool = Field(
        False,
        description="test-time augmentation: also classify each crop's mirror image and average the two "
        "probabilities (more accurate, see the model card; twice the classifier time)",
    )
    decision: DecisionRule = Field("auto", description=DECISION_HELP)
    int8: bool | None = Field(
        None,
        description="run the model's int8 copy first where its folder has one (the bundled presets do), and the "
        "float32 model on the crops whose top two scores are closer than recheck_margin: the float32 model's "
        "label on every crop; False: float32 only; None: int8 first where the CPU has int8 dot-product "
        "instructions (AVX-512 VNNI, AVX-VNNI, AMX, Arm dotprod), which make it about three times as fast",
    )
    recheck_margin: float = Field(
        RECHECK_MARGIN,
        ge=0.0,
        le=1.0,
        description="with int8: crops whose two best scores differ by less than this are run again in float32 "
        "(1: every crop, the float32 probabilities; 0: none, the int8 probabilities)",
    )


_INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8", "asimddp")
_INT8_DOT_FEATURES = ("AVX512_VNNI", "AVX512_ICL", "AVX512_SPR", "AVXVNNI", "AVX_VNNI", "ASIMDDP")


def cpu_has_int8_dot() -> bool:
    """Whether the CPU has int8 dot-product instructions, which make the int8 model fast.

    Reads the CPU flags on Linux, else NumPy's view of the CPU features; Apple
    silicon always has them. Without them (e.g. AVX2 only) int8 weights run no
    faster than float32, and the ``litert`` classifier's default runs float32 alone.

    Examples:
        >>> isinstance(cpu_has_int8_dot(), bool)
        True
    """
    import platform

    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return True
    flags = cpu_flags()
    if flags is not None:
        return any(flag in flags for flag in _INT8_DOT_FLAGS)
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        return False
    return any(features.get(name, False) for name in _INT8_DOT_FEATURES)


def int8_file(meta: PresetMetadata) -> tuple[str, str | None] | None:
    """``(file name, expected SHA-256)`` of the int8 LiteRT copy a model folder's metadata records, if any.

    ``fer-sdk export --model DIR --in-place`` writes it (``runtime_files.tflite_int8``)
    beside the float32 file. A copy exported from another ``model.keras`` than the
    metadata's is ignored with a warning (the float32 file then does all the work).

    Examples:
        >>> from contextlib import ExitStack
        >>> from fer_sdk.preset import preset_dir
        >>> with ExitStack() as stack:
        ...     meta = PresetMetadata.load(preset_dir("fernet_fer7", stack) / METADATA_FILE)
        >>> int8_file(meta)[0]
        'model_int8.tflite'
    """
    entry = (meta.runtime_files or {}).get(INT8_KEY)
    if entry is None or not entry.model_file:
        return None
    if meta.sha256 and entry.exported_from_sha256 != meta.sha256:
        logger.warning(
            "%s was exported from another model file than the one beside it; using the float32 file only "
            "(re-export: fer-sdk export --model DIR --in-place --force)",
            entry.model_file,
        )
        return None
    return entry.model_file, entry.sha256


def litert_file(meta: PresetMetadata, meta_path: Path) -> tuple[str, str | None]:
    """``(file name, expected SHA-256)`` of the LiteRT file that a model folder's metadata records.

    An export folder (``fer-sdk export --out DIR``) names it as its ``model_file``;
    a Keras model folder with a LiteRT file beside its ``model.keras``
    (``fer-sdk export --model DIR --in-place``) records it under
    ``runtime_files.tflite``, whose ``exported_from_sha256`` must name the
    Keras file of the same metadata: a LiteRT file left over from an older
    ``model.keras`` is refused.

    Raises:
        ModelLoadError: the metadata records no LiteRT file, or a stale one.
    """
    name = meta.model_file or ""
    if name.endswith(".tflite"):
        return name, meta.sha256
    entry = (meta.runtime_files or {}).get(RUNTIME_KEY)
    if entry is None or not entry.model_file:
        raise ModelLoadError(
            f"model metadata {meta_path} records no LiteRT (.tflite) file; write one beside the Keras model "
            f"with: fer-sdk export --model {meta_path.parent} --in-place (needs TensorFlow), "
            "or use classifier='keras'"
        )
    if meta.sha256 and entry.exported_from_sha256 != meta.sha256:
        raise ModelLoadError(
            f"{meta_path.parent / entry.model_file} was exported from another model file than the "
            f"{meta.model_file or 'model.keras'} beside it (SHA-256 {entry.exported_from_sha256} "
            f"against {meta.sha256}); re-export it: fer-sdk export --model {meta_path.parent} --in-place --force"
        )
    return entry.model_file, entry.sha256


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _interpreter_class() -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:  # TensorFlow's own copy of the interpreter (deprecated there, but the same runtime)
            from tensorflow.lite.python.interpreter import Interpreter
        except ImportError:
            raise ModelLoadError(
                "the litert classifier needs the LiteRT runtime: pip install ai-edge-litert "
                "(or use classifier='keras' with pip install 'fer_sdk[tensorflow]')"
            ) from None
    return Interpreter


class _Runner:
    """One interpreter with a fixed batch size (resizing an interpreter costs milliseconds)."""

    def __init__(self, interpreter: Any, batch: int, shape: tuple[int, int, int]) -> None:
        self.interpreter = interpreter
        inp = interpreter.get_input_details()[0]
        self.input_index = inp["index"]
        if batch != int(inp["shape"][0]):
            interpreter.resize_tensor_input(self.input_index, [batch, *shape], strict=True)
        interpreter.allocate_tensors()
        self.output_index = interpreter.get_output_details()[0]["index"]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return np.array(self.interpreter.get_tensor(self.output_index), dtype=np.float32)


class LiteRTClassifier(ModelFileClassifier):
    """The bundled emotion CNN, or an exported one, on LiteRT with XNNPACK (no TensorFlow needed).

    Keyword options (:class:`LiteRTOptions`, unknown keys are errors):

    - ``model``: a bundled preset name (default ``fernet_fer7``: its LiteRT
      files), a model folder or a ``.tflite`` file written by ``fer-sdk export``;
    - ``int8``, ``recheck_margin``: run the int8 copy first (where the folder
      has one) and the float32 model on the crops whose two best scores are
      closer than ``recheck_margin`` (default 0.1): the float32 model's labels;
      ``int8=False``: float32 only, the Keras model's probabilities to float
      rounding; default: int8 first where :func:`cpu_has_int8_dot`;
    - ``threads``: threads per forward pass (default: usable cores, at most 4);
    - ``batch_size``: largest batch per forward pass; bigger batches are cut
      into pieces of this size and powers of two below it;
    - ``verify_checksum``: refuse a model whose SHA-256 differs from its metadata;
    - ``flip_tta``: also classify each crop's mirror image and average the two
      probabilities (as the Keras classifier's option of that name).

    Thread safety: a LiteRT interpreter must not run two batches at once, so
    calls to :meth:`predict_proba` from several threads take turns on a lock
    (each forward pass already uses ``threads`` cores). For parallel
    pipelines give each worker its own classifier.

    Examples:
        >>> import numpy as np
        >>> clf = LiteRTClassifier(threads=1)
        >>> clf.predict_proba(np.zeros((3, 48, 48, 1), np.float32)).shape
        (3, 7)
        >>> LiteRTClassifier(int8=True).precision, LiteRTClassifier(int8=False).precision
        ('int8+float32', 'float32')
    """

    name = "litert"

    def __init__(self, **options: object) -> None:
        self.options = LiteRTOptions.model_validate(options)
        self._lock = threading.Lock()
        self._meta: PresetMetadata | None = None
        self._content: bytes | None = None
        self._runners: dict[int, _Runner] = {}
        self._content8: bytes | None = None  # the int8 copy, when there is one and int8=True
        self._runners8: dict[int, _Runner] = {}

    # metadata ------------------------------------------------------------------
    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        spec = self.options.model
        found = find_preset(spec, stack, self.preset_packages)
        if found is not None and found[1] is None:  # a folder: the LiteRT file its metadata records
            folder = found[0]
            meta_path = folder / METADATA_FILE
            name, _ = litert_file(PresetMetadata.load(meta_path), meta_path)
            return folder / name, meta_path
        if found is not None and found[1] is not None:
            return found[1], found[0] / METADATA_FILE
        raise ModelLoadError(
            f"litert model {spec!r} is neither a bundled preset ({', '.join(self.bundled_presets())}) nor an "
            "existing .tflite file or model folder (write one with: fer-sdk export --format tflite --out DIR)"
        )

    @property
    def threads(self) -> int:
        """Threads each forward pass uses."""
        return self.options.threads or max(1, min(_usable_cores(), MAX_DEFAULT_THREADS))

    # model -----------------------------------------------------------------------
    def load(self) -> None:
        """Read and check the model file and build the first interpreter (otherwise done on first use)."""
        if self._content is not None:
            return
        with self._lock:
            if self._content is not None:
                return
            with ExitStack() as stack:
                model_path, meta_path = self._locate(stack)
                meta = PresetMetadata.load(meta_path)
                content = self._read(model_path)
            if model_path.suffix != ".tflite":
                raise ModelLoadError(f"model file {model_path} is not a .tflite file (export one with fer-sdk export)")
            if self.options.verify_checksum:
                _, expected = litert_file(meta, meta_path)
                meta.verify(model_path, expected=expected or "", actual=hashlib.sha256(content).hexdigest())
            self._meta = meta
            runner = self._make_runner(content, 1, model_path)
            use_int8 = cpu_has_int8_dot() if self.options.int8 is None else self.options.int8
            found8 = int8_file(meta) if use_int8 and self.options.recheck_margin < 1.0 else None
            if found8 is not None:
                path8 = meta_path.parent / found8[0]
                content8 = self._read(path8)
                if self.options.verify_checksum:
                    meta.verify(path8, expected=found8[1] or "", actual=hashlib.sha256(content8).hexdigest())
                self._runners8 = {1: self._make_runner(content8, 1, path8)}
                self._content8 = content8
            self._content = content
            self._runners = {1: runner}

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ModelLoadError(f"model file {path} is missing or unreadable: {exc}") from exc

    @property
    def precision(self) -> str:
        """What runs (after :meth:`load`): ``"float32"``, or ``"int8+float32"`` (int8, float32 where close)."""
        self.load()
        return "float32" if self._content8 is None else "int8+float32"

    def _make_runner(self, content: bytes, batch: int, where: Path | str = "model") -> _Runner:
        interpreter_cls = _interpreter_class()
        try:
            with dependency_output():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" goes to logging
                interpreter = interpreter_cls(model_content=content, num_threads=self.threads)
        except Exception as exc:
            raise ModelLoadError(f"LiteRT cannot load {where}: {type(exc).__name__}: {exc}") from exc
        inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
        shape = self.input_shape
        if len(inputs) != 1 or len(outputs) != 1 or tuple(int(d) for d in inputs[0]["shape"][1:]) != shape:
            raise ModelLoadError(
                f"{where} takes {[tuple(i['shape']) for i in inputs]} and gives {len(outputs)} output(s); "
                f"its metadata promises one (n, {shape[0]}, {shape[1]}, {shape[2]}) input and one output"
            )
        if int(outputs[0]["shape"][-1]) != len(self.labels):
            raise ModelLoadError(f"{where} gives {outputs[0]['shape'][-1]} scores but has {len(self.labels)} labels")
        with dependency_output():
            return _Runner(interpreter, batch, shape)

    def _pieces(self, n: int) -> Iterator[int]:
        """Cut ``n`` into full batches and powers of two, so that few interpreter sizes are ever built."""
        step = self.options.batch_size
        while n >= step:
            yield step
            n -= step
        bit = 1 << max(0, n.bit_length() - 1)
        while n:
            if n >= bit:
                yield bit
                n -= bit
            bit >>= 1

    def _forward(self, batch: np.ndarray, int8: bool = False) -> np.ndarray:
        """The network's output for a checked batch, in pieces of the interpreter sizes (holds the lock)."""
        out = np.empty((batch.shape[0], len(self.labels)), np.float32)
        start = 0
        content, runners = (self._content8, self._runners8) if int8 else (self._content, self._runners)
        assert content is not None
        for size in self._pieces(batch.shape[0]):
            runner = runners.get(size)
            if runner is None:
                runner = runners[size] = self._make_runner(content, size)
            out[start : start + size] = runner(np.ascontiguousarray(batch[start : start + size]))
            start += size
        return out

    def _scores(self, batch: np.ndarray, int8: bool = False) -> np.ndarray:
        """The classifier's scores (flip TTA and the decision rule applied) from one of the two files."""
        probs = self._forward(batch, int8)
        if self.options.flip_tta:
            probs = (probs + self._forward(np.ascontiguousarray(batch[:, :, ::-1]), int8)) / 2.0
        return self._postprocess(probs)

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, len(labels))`` for a prepared batch ``(n, h, w, c)`` float32."""
        self.load()
        batch = self._checked(batch)
        if batch.shape[0] == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        with self._lock:
            if self._content8 is None:
                return self._scores(batch)
            scores = np.array(self._scores(batch, int8=True), dtype=np.float32)
            # where the two best scores are close, the int8 copy could have swapped them: ask float32
            best_two = np.partition(scores, -2, axis=1)[:, -2:]
            close = np.flatnonzero(best_two[:, 1] - best_two[:, 0] < self.options.recheck_margin)
            if close.size:
                scores[close] = self._scores(np.ascontiguousarray(batch[close]))
            return scores

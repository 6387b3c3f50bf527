"""fer-sdk-litert: the bundled emotion model on LiteRT (TensorFlow Lite) with XNNPACK, without TensorFlow.

Registers the classifier ``litert`` (alias ``tflite``). By default it runs the
bundled FER2013 model exported in float32 (``fer-sdk export``): the Keras
model's predictions to within 1e-5, about three times faster per crop.
``model="int8"`` runs the export with int8 weights (``fer-sdk export --quantize
dynamic``), several times faster again on CPUs with int8 dot-product units
(AVX-512 VNNI, AVX-VNNI, ARM dotprod), at the same PublicTest accuracy but with
99.4% of the Keras model's top labels (a few faces on the edge between two
emotions change sides). ``model=PATH`` runs a model of your own exported with
``fer-sdk export``.

Examples:
    >>> import cv2, fer_sdk
    >>> rec = fer_sdk.EmotionRecognizer(classifier="litert")
    >>> [f.emotion for f in rec.predict(cv2.imread("examples/images/astronaut.png"))]  # doctest: +SKIP
    ['happy']
    >>> from fer_sdk_litert import LiteRTClassifier
    >>> LiteRTClassifier(model="fp32").labels
    ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

import fer_sdk
from fer_sdk._quiet import dependency_output
from fer_sdk.builtin.keras_cnn import METADATA_FILE, ModelFileClassifier, read_metadata, verify_sha256
from fer_sdk.errors import ModelLoadError

__all__ = ["BUNDLED", "LiteRTClassifier", "LiteRTOptions", "bundled_model_dir", "register_classifiers"]

BUNDLED: tuple[str, ...] = ("int8", "fp32")
MODEL_FILE = "model.tflite"
MAX_DEFAULT_THREADS = 4


class LiteRTOptions(BaseModel):
    """Options of :class:`LiteRTClassifier` (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        "fp32",
        description="'fp32' (bundled, default), 'int8' (bundled), or a .tflite file with metadata.json beside it "
        "or a folder holding both, as written by `fer-sdk export`",
    )
    threads: int | None = Field(
        None, ge=1, le=256, description=f"threads per forward pass; None: usable cores, at most {MAX_DEFAULT_THREADS}"
    )
    batch_size: int = Field(8, ge=1, le=1024, description="largest batch per forward pass")
    verify_checksum: bool = Field(True, description="refuse a model file whose SHA-256 differs from its metadata")


def bundled_model_dir(name: str, stack: ExitStack) -> Path:
    """The folder of a bundled model (``int8`` or ``fp32``), as a real path for the life of ``stack``."""
    return Path(stack.enter_context(resources.as_file(resources.files("fer_sdk_litert") / "models" / name)))


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
            raise ModelLoadError("the litert classifier needs the LiteRT runtime: pip install ai-edge-litert") from None
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
        return np.asarray(self.interpreter.get_tensor(self.output_index), dtype=np.float32)


class LiteRTClassifier(ModelFileClassifier):
    """The bundled emotion CNN, or an exported one, on LiteRT with XNNPACK (no TensorFlow needed).

    Args:
        model: ``fp32`` (bundled, default; the Keras model's predictions to
            within 1e-5), ``int8`` (bundled; weights quantized to int8, same
            PublicTest accuracy, 99.4% of the Keras model's top labels) or the path of a
            ``.tflite`` file / its folder written by ``fer-sdk export``.
        threads: threads per forward pass (default: usable cores, at most 4).
        batch_size: largest batch per forward pass; bigger batches are cut
            into pieces of this size and powers of two below it.
        verify_checksum: refuse a model whose SHA-256 differs from its metadata.

    Thread safety: a LiteRT interpreter must not run two batches at once, so
    calls to :meth:`predict_proba` from several threads take turns on a lock
    (each forward pass already uses ``threads`` cores). For parallel
    pipelines give each worker its own classifier.

    Examples:
        >>> import numpy as np
        >>> clf = LiteRTClassifier(threads=1)
        >>> clf.predict_proba(np.zeros((3, 48, 48, 1), np.float32)).shape
        (3, 7)
    """

    name = "litert"

    def __init__(self, **options: object) -> None:
        self.options = LiteRTOptions.model_validate(options)
        self._lock = threading.Lock()
        self._meta: dict[str, Any] | None = None
        self._content: bytes | None = None
        self._runners: dict[int, _Runner] = {}

    # metadata ------------------------------------------------------------------
    def _locate(self, stack: ExitStack) -> tuple[Path, Path]:
        spec = self.options.model
        if spec in BUNDLED:
            folder = bundled_model_dir(spec, stack)
            return folder / MODEL_FILE, folder / METADATA_FILE
        path = Path(spec).expanduser()
        if path.is_dir():
            meta_path = path / METADATA_FILE
            name = read_metadata(meta_path).get("model_file", MODEL_FILE)
            return path / str(name), meta_path
        if path.is_file():
            return path, path.with_name(METADATA_FILE)
        raise ModelLoadError(
            f"litert model {spec!r} is neither a bundled model ({', '.join(BUNDLED)}) nor an existing "
            ".tflite file or folder (write one with: fer-sdk export --format tflite --out DIR)"
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
                meta = read_metadata(meta_path)
                try:
                    content = model_path.read_bytes()
                except OSError as exc:
                    raise ModelLoadError(f"model file {model_path} is missing or unreadable: {exc}") from exc
            if model_path.suffix != ".tflite":
                raise ModelLoadError(f"model file {model_path} is not a .tflite file (export one with fer-sdk export)")
            if self.options.verify_checksum:
                verify_sha256(model_path, meta, meta_path, hashlib.sha256(content).hexdigest())
            self._meta = meta
            runner = self._make_runner(content, 1, model_path)
            self._content = content
            self._runners = {1: runner}

    def _make_runner(self, content: bytes, batch: int, where: Path | str = "model") -> _Runner:
        with dependency_output():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" goes to logging
            return self._new_runner(content, batch, where)

    def _new_runner(self, content: bytes, batch: int, where: Path | str) -> _Runner:
        interpreter_cls = _interpreter_class()
        try:
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

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, len(labels))`` for a prepared batch ``(n, h, w, c)`` float32."""
        self.load()
        batch = self._checked(batch)
        if batch.shape[0] == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        out = np.empty((batch.shape[0], len(self.labels)), np.float32)
        start = 0
        with self._lock:
            assert self._content is not None
            for size in self._pieces(batch.shape[0]):
                runner = self._runners.get(size)
                if runner is None:
                    runner = self._runners[size] = self._make_runner(self._content, size)
                out[start : start + size] = runner(np.ascontiguousarray(batch[start : start + size]))
                start += size
        return out


@fer_sdk.hookimpl
def register_classifiers(register: fer_sdk.hookspecs.Register) -> None:
    """Register the LiteRT classifier as ``litert`` (alias ``tflite``)."""
    register(LiteRTClassifier, name="litert", aliases=["tflite"])

"""Export a Keras model to a fast CPU runtime format: TFLite / LiteRT or ONNX.

The exported model file gets a ``metadata.json`` beside it in the same format
as a Keras model folder (``fer_sdk.model/1``, see
:mod:`fer_sdk.preset`): labels, input size, preprocessing, the
SHA-256 of the exported file, and under ``exported_from`` the file name,
SHA-256 and metrics of the Keras model it came from. A classifier plugin for
that runtime (``pip install plugins/fer-sdk-litert`` for ``.tflite``) loads the
folder with the right labels and preprocessing.

Formats:

* ``tflite``: TFLite / LiteRT flatbuffer, converted by TensorFlow itself (no
  extra package). ``quantize="dynamic"`` stores the weights as int8 and
  quantizes activations on the fly (XNNPACK's fast int8 kernels on x86 and
  ARM); on FER2013 PublicTest the bundled model keeps 99.4% of its top labels
  this way (accuracy 67.1%, as in float32).
* ``onnx``: ONNX (opset 17) through ``tf2onnx`` (``pip install "fer_sdk[export]"``),
  float32 only, the same predictions as Keras to within 1e-6.

Examples:
    >>> from fer_sdk.export import export_model
    >>> path = export_model("fernet_fer7", "exported/model.tflite", quantize="dynamic")  # doctest: +SKIP
    >>> path.name, (path.parent / "metadata.json").is_file()  # doctest: +SKIP
    ('model.tflite', True)
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.errors import ExportError
from fer_sdk.preset import (
    DEFAULT_PRESET,
    METADATA_FILE,
    METADATA_FORMAT,
    MODEL_FILE,
    PresetMetadata,
    RuntimeFile,
    sha256_file,
)

__all__ = ["FORMATS", "QUANTIZE", "export_in_place", "export_model"]

logger = logging.getLogger(__name__)

Format = Literal["tflite", "onnx"]
Quantize = Literal["none", "dynamic"]
FORMATS: dict[str, str] = {"tflite": ".tflite", "onnx": ".onnx"}
QUANTIZE: tuple[str, ...] = ("none", "dynamic")
ONNX_OPSET = 17
INPUT_NAME = "input"

# metadata keys of the Keras model that describe the exported one as well
_CARRIED = ("arch", "labels", "input_size", "channels", "preprocessing", "training_data")


def export_model(
    model: str | Path = DEFAULT_PRESET,
    out: str | Path = "model.tflite",
    format: Format | None = None,
    quantize: Quantize = "none",
    *,
    overwrite: bool = False,
    verify_checksum: bool = True,
) -> Path:
    """Convert a Keras model (bundled preset, folder or ``.keras`` file) for a CPU runtime.

    Args:
        model: what :class:`~fer_sdk.builtin.keras_cnn.KerasClassifier` takes
            as ``model``: a bundled preset name, a model folder or a ``.keras``
            file with ``metadata.json`` beside it.
        out: the model file to write (``.tflite`` or ``.onnx``), or a folder,
            which then receives ``model.<ext>``. ``metadata.json`` is written
            beside the model file, so use one folder per exported model.
        format: ``tflite`` or ``onnx``; by default taken from ``out``'s suffix
            (``tflite`` for a folder).
        quantize: ``none`` (float32) or ``dynamic`` (int8 weights, activations
            quantized at run time; ``tflite`` only).
        overwrite: replace an existing model file and metadata.
        verify_checksum: refuse a Keras model whose SHA-256 differs from its metadata.

    Returns:
        The path of the written model file.

    Raises:
        ExportError: unknown format, existing target, missing converter or a failed conversion.
        ModelLoadError: the Keras model cannot be loaded.

    Examples:
        >>> export_model(out="/tmp/fer-onnx/model.onnx")  # doctest: +SKIP
        PosixPath('/tmp/fer-onnx/model.onnx')
    """
    from fer_sdk.runtime import require_tensorflow

    require_tensorflow("export (fer-sdk export, fer_sdk.export)")
    out = Path(out)
    fmt = _pick_format(out, format)
    if quantize not in QUANTIZE:
        raise ExportError(f"unknown quantization {quantize!r}; use one of {', '.join(QUANTIZE)}")
    if quantize != "none" and fmt != "tflite":
        raise ExportError(
            f"quantize={quantize!r} is for the tflite format; ONNX export is float32 only "
            "(ONNX Runtime's static int8 kept only 99.2% of the bundled model's top labels on PublicTest)"
        )
    target = out / f"model{FORMATS[fmt]}" if out.is_dir() or not out.suffix else out
    if target.suffix != FORMATS[fmt]:
        raise ExportError(f"output {target} does not end in {FORMATS[fmt]} for format {fmt!r}")
    meta_path = target.with_name(METADATA_FILE)
    if not overwrite:
        existing = [p for p in (target, meta_path) if p.exists()]
        if existing:
            raise ExportError(f"{', '.join(map(str, existing))} already exist(s); pass overwrite=True (--force)")

    if fmt == "onnx":
        _require_tf2onnx()  # fail before the slow part
    clf = KerasClassifier(model=str(model), verify_checksum=verify_checksum)
    clf.load()
    source_meta = clf.metadata
    keras_model = clf.keras_model

    target.parent.mkdir(parents=True, exist_ok=True)
    # write next to the target, then rename: a failed conversion leaves no half-written file
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "tflite":
            tmp.write_bytes(_to_tflite(keras_model, quantize))
        else:
            _to_onnx(keras_model, clf.input_shape, tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; an exported model is an ordinary file
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)

    _metadata(source_meta, target, fmt, quantize).save(meta_path)
    logger.info("exported %s to %s (%s, quantize=%s)", model, target, fmt, quantize)
    return target


def export_in_place(
    model: str | Path = DEFAULT_PRESET, *, overwrite: bool = False, verify_checksum: bool = True
) -> Path:
    """Write the LiteRT files of a Keras model folder beside its ``model.keras``; record them in its metadata.

    This is how a preset gets the file the default classifier runs without
    TensorFlow (``fer_sdk/presets/<name>/model.tflite``): after retraining,
    copy the new ``model.keras`` and ``metadata.json`` into the preset folder
    and run ``fer-sdk export --model fer_sdk/presets/<name> --in-place --force``.
    ``metadata.json`` gains (or has replaced) ``runtime_files.tflite``: the
    file name, its SHA-256, the SHA-256 of the ``model.keras`` it was converted
    from (the ``litert`` classifier refuses a LiteRT file whose Keras model has
    changed since), versions, and the largest difference between the two
    runtimes' probabilities on 64 test inputs, which must stay below 1e-4.
    ``runtime_files.tflite_int8`` records ``model_int8.tflite`` the same way:
    the network with int8 weights (``quantize="dynamic"``), which the
    ``litert`` classifier runs first, and its largest difference (about 0.05).

    Args:
        model: a model folder holding ``model.keras`` and ``metadata.json``, or
            a bundled preset name (its folder must be writable).
        overwrite: replace a LiteRT file the metadata already records.
        verify_checksum: refuse a Keras model whose SHA-256 differs from its metadata.

    Returns:
        The path of the written ``model.tflite``.

    Raises:
        ExportError: the file exists (without ``overwrite``), a conversion
            failed or the float32 file does not give the Keras model's probabilities.
        MissingExtraError: TensorFlow is not installed.

    Examples:
        >>> export_in_place("fer_sdk/presets/fernet_fer7", overwrite=True)  # doctest: +SKIP
        PosixPath('fer_sdk/presets/fernet_fer7/model.tflite')
    """
    from contextlib import ExitStack

    import numpy as np

    from fer_sdk.builtin.litert import INT8_FILE, INT8_KEY, RUNTIME_KEY, TFLITE_FILE, LiteRTClassifier
    from fer_sdk.runtime import require_tensorflow

    require_tensorflow("export (fer-sdk export, fer_sdk.export)")
    clf = KerasClassifier(model=str(model), verify_checksum=verify_checksum, precision="float32")
    with ExitStack() as stack:
        keras_path, meta_path = clf._locate(stack)
        folder = keras_path.parent
    meta = PresetMetadata.load(meta_path)
    target = folder / TFLITE_FILE
    if not overwrite and (target.exists() or RUNTIME_KEY in (meta.runtime_files or {})):
        raise ExportError(f"{target} already exists or is recorded in {meta_path}; pass overwrite=True (--force)")
    clf.load()
    # the same function as the Keras model: compare the runtimes on smooth and noisy inputs
    rng = np.random.default_rng(0)
    h, w, c = clf.input_shape
    ramps = np.linspace(0.0, 1.0, h * w, dtype=np.float32).reshape(1, h, w, 1) * rng.random((32, 1, 1, c))
    probe = np.concatenate([ramps, rng.random((32, h, w, c))]).astype(np.float32)
    reference = clf.predict_proba(probe)
    files = {}
    for key, name, quantize, limit in (
        (RUNTIME_KEY, TFLITE_FILE, "none", 1e-4),
        (INT8_KEY, INT8_FILE, "dynamic", None),
    ):
        entry = _write_runtime_file(clf.keras_model, folder / name, quantize, keras_path)
        with tempfile.TemporaryDirectory() as scratch:  # the new file alone, as the litert classifier reads it
            check_meta = meta.model_copy(update={"runtime_files": {RUNTIME_KEY: RuntimeFile.model_validate(entry)}})
            check_meta.sha256 = entry["exported_from_sha256"]
            check_meta.save(Path(scratch) / METADATA_FILE)
            (Path(scratch) / name).write_bytes((folder / name).read_bytes())
            lite = LiteRTClassifier(model=scratch, threads=1, int8=False).predict_proba(probe)
        diff = float(np.abs(lite - reference).max())
        if limit is not None and not diff < limit:
            (folder / name).unlink(missing_ok=True)
            raise ExportError(
                f"the LiteRT file's probabilities differ from the Keras model's by {diff:.2g} (over 1e-4)"
            )
        entry["max_abs_diff"] = float(f"{diff:.3g}")
        files[key] = RuntimeFile.model_validate(entry)
        logger.info("wrote %s (max difference to Keras %.2g)", folder / name, diff)
    meta.runtime_files = {**(meta.runtime_files or {}), **files}
    meta.save(meta_path)
    logger.info("recorded %s in %s", ", ".join(files), meta_path)
    return target


def _write_runtime_file(keras_model: Any, target: Path, quantize: str, keras_path: Path) -> dict[str, Any]:
    """Convert ``keras_model`` to the LiteRT file ``target`` (atomically); its ``runtime_files`` entry."""
    import tensorflow as tf

    from fer_sdk import __version__

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.write_bytes(_to_tflite(keras_model, quantize))
        tmp.chmod(0o644)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return {
        "model_file": target.name,
        "sha256": sha256_file(target),
        "quantize": quantize,
        "exported_from_sha256": sha256_file(keras_path),
        "versions": {"fer_sdk": __version__, "tensorflow": tf.__version__},
        "exported_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _pick_format(out: Path, format: str | None) -> str:
    if format is None:
        by_suffix = {ext: name for name, ext in FORMATS.items()}
        if out.suffix and out.suffix not in by_suffix:
            raise ExportError(f"cannot tell the format from {out}: name it .tflite or .onnx, or pass the format")
        return by_suffix.get(out.suffix, "tflite")
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    return format


def _to_tflite(keras_model: Any, quantize: str) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    if quantize == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    chatter = io.StringIO()  # Keras prints the intermediate SavedModel's signature to stdout
    try:
        with contextlib.redirect_stdout(chatter):
            return bytes(converter.convert())
    except Exception as exc:
        raise ExportError(f"TFLite conversion failed: {type(exc).__name__}: {exc}") from exc
    finally:
        logger.debug("TFLite converter output: %s", chatter.getvalue())


def _require_tf2onnx() -> Any:
    try:
        import tf2onnx
    except ImportError as exc:
        raise ExportError(
            f"ONNX export needs tf2onnx ({exc}): pip install 'fer_sdk[export]' (or: pip install tf2onnx onnx)"
        ) from exc
    return tf2onnx


def _to_onnx(keras_model: Any, input_shape: tuple[int, int, int], path: Path) -> None:
    tf2onnx = _require_tf2onnx()
    import tensorflow as tf

    spec = tf.TensorSpec([None, *input_shape], tf.float32, name=INPUT_NAME)

    @tf.function(input_signature=[spec])
    def forward(x: Any) -> Any:
        return tf.cast(keras_model(x, training=False), tf.float32)

    try:
        tf2onnx.convert.from_function(forward, input_signature=[spec], opset=ONNX_OPSET, output_path=str(path))
    except Exception as exc:
        raise ExportError(f"ONNX conversion failed: {type(exc).__name__}: {exc}") from exc


def _metadata(source: PresetMetadata, target: Path, fmt: str, quantize: str) -> PresetMetadata:
    import tensorflow as tf

    from fer_sdk import __version__

    carried = source.to_dict()
    meta: dict[str, Any] = {"format": METADATA_FORMAT}
    meta.update({k: carried[k] for k in _CARRIED if k in carried})
    meta["runtime"] = {"format": fmt, "quantize": quantize, "input_name": INPUT_NAME}
    meta["exported_from"] = {
        "model_file": source.model_file or MODEL_FILE,
        "sha256": source.sha256,
        "metrics": source.metrics or {},
    }
    versions = {"fer_sdk": __version__, "tensorflow": tf.__version__}
    if fmt == "onnx":
        versions["tf2onnx"] = _require_tf2onnx().__version__
    meta["versions"] = versions
    meta["exported_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["model_file"] = target.name
    meta["sha256"] = sha256_file(target)
    return PresetMetadata.from_dict(meta)

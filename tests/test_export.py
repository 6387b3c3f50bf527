"""`fer-sdk export`: the bundled Keras model as TFLite / LiteRT or ONNX, with its metadata beside it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from fer_sdk import FerSdkError
from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.cli import main
from fer_sdk.errors import ExportError
from fer_sdk.export import export_model
from fer_sdk.preset import sha256_file


def test_bad_requests_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot tell the format"):
        export_model(out=tmp_path / "model.pb")
    with pytest.raises(ExportError, match="unknown export format"):
        export_model(out=tmp_path / "m", format="coreml")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="tflite format"):
        export_model(out=tmp_path / "model.onnx", quantize="dynamic")
    with pytest.raises(ExportError, match=r"does not end in \.onnx"):
        export_model(out=tmp_path / "model.tflite", format="onnx")
    (tmp_path / "model.tflite").write_bytes(b"old")
    with pytest.raises(ExportError, match="already exist"):
        export_model(out=tmp_path / "model.tflite")
    assert issubclass(ExportError, FerSdkError)
    assert main(["export", "--out", str(tmp_path / "model.tflite")]) == 1


def test_missing_onnx_converter_names_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import fails as if not installed
    with pytest.raises(ExportError, match=r"pip install 'fer_sdk\[export\]'"):
        export_model(out=tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists() and not (tmp_path / "metadata.json").exists()


@pytest.mark.slow
def test_tflite_export_into_a_folder_carries_the_metadata(tmp_path: Path) -> None:
    path = export_model("fernet_fer7", tmp_path / "litert")
    assert path == tmp_path / "litert" / "model.tflite"
    meta = json.loads((path.parent / "metadata.json").read_text())
    source = KerasClassifier().metadata
    assert meta["sha256"] == sha256_file(path) and meta["model_file"] == "model.tflite"
    assert meta["exported_from"]["sha256"] == source["sha256"]
    for key in ("format", "labels", "input_size", "channels", "preprocessing"):
        assert meta[key] == source[key]
    assert meta["runtime"]["quantize"] == "none"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


@pytest.mark.slow
def test_onnx_export_gives_the_keras_probabilities(tmp_path: Path) -> None:
    pytest.importorskip("tf2onnx", reason="ONNX export needs: pip install 'fer_sdk[export]'")
    ort = pytest.importorskip("onnxruntime", reason="checking the ONNX file needs onnxruntime")
    assert main(["export", "--format", "onnx", "--out", str(tmp_path / "onnx")]) == 0
    path = tmp_path / "onnx" / "model.onnx"
    meta = json.loads((path.parent / "metadata.json").read_text())
    assert meta["runtime"] == {"format": "onnx", "quantize": "none", "input_name": "input"}
    batch = np.random.default_rng(0).random((5, 48, 48, 1), dtype=np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {meta["runtime"]["input_name"]: batch})[0]
    np.testing.assert_allclose(got, KerasClassifier(precision="float32").predict_proba(batch), atol=1e-5)

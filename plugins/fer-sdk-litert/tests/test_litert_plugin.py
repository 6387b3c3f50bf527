"""The int8 LiteRT plugin, installed through its entry point, used through fer_sdk's public API.

fer_sdk's own ``litert`` classifier (float32, tests/test_runtime.py) runs the
plugin's model; these tests cover what the plugin adds. Tolerance against the
Keras classifier, measured on all 3,589 PublicTest faces (benchmarks/experiments/int8_recheck.py): the int8 export
differs by at most 0.034 per probability; the tests allow 0.05.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import fer_sdk
from fer_sdk.builtin.preprocess import StandardPreprocessor
from fer_sdk.testing import ASTRONAUT_FACE, check_classifier, check_listed, images_dir, modules_imported_by

pytest.importorskip("fer_sdk_litert", reason="install the plugin first: pip install plugins/fer-sdk-litert")

from fer_sdk_litert import LiteRTInt8Classifier, bundled_model_dir

ATOL = 0.05


@pytest.fixture(scope="module")
def keras_rec() -> fer_sdk.EmotionRecognizer:
    return fer_sdk.EmotionRecognizer(classifier="keras", classifier_options={"precision": "float32"})  # reference


def core_metadata() -> dict:  # type: ignore[type-arg]
    with resources.as_file(resources.files("fer_sdk.presets") / "fernet_fer7" / "metadata.json") as path:
        return json.loads(Path(path).read_text())


def test_listed_with_its_distribution() -> None:
    check_listed("classifiers", "litert-int8", "fer-sdk-litert")
    check_listed("classifiers", "litert", "fer_sdk")  # the core's float32 classifier: no clash


def test_bundled_model_matches_the_core_model() -> None:
    """The exported file carries the core model's labels and preprocessing and names its SHA-256: no drift."""
    core = core_metadata()
    with ExitStack() as stack:
        folder = bundled_model_dir("int8", stack)
        meta = json.loads((folder / "metadata.json").read_text())
        digest = hashlib.sha256((folder / "model.tflite").read_bytes()).hexdigest()
    assert meta["format"] == core["format"] == "fer_sdk.model/1"
    assert meta["sha256"] == digest
    assert meta["exported_from"]["sha256"] == core["sha256"], "re-export the plugin's model: the core model changed"
    for key in ("labels", "input_size", "channels", "preprocessing"):
        assert meta[key] == core[key], key
    assert meta["runtime"] == {"format": "tflite", "quantize": "dynamic", "input_name": "input"}


def test_used_by_name_agrees_with_keras_on_a_photo(astronaut: np.ndarray, keras_rec: fer_sdk.EmotionRecognizer) -> None:
    rec = fer_sdk.EmotionRecognizer(classifier="litert-int8")
    assert rec.labels == keras_rec.labels
    faces, reference = rec.predict(astronaut), keras_rec.predict(astronaut)
    assert [f.emotion for f in faces] == [f.emotion for f in reference] == ["happy"]
    assert [f.box for f in faces] == [f.box for f in reference]
    got = np.array([faces[0].scores[k] for k in rec.labels])
    want = np.array([reference[0].scores[k] for k in rec.labels])
    np.testing.assert_allclose(got, want, atol=ATOL)
    assert not np.allclose(got, want, atol=1e-6)  # int8 weights: not the float32 model under another name


def test_keeps_the_classifier_contract(astronaut: np.ndarray, hopper: np.ndarray) -> None:
    faces = [astronaut[ASTRONAUT_FACE.y : ASTRONAUT_FACE.y + 100, ASTRONAUT_FACE.x : ASTRONAUT_FACE.x + 99], hopper]
    probs = check_classifier(LiteRTInt8Classifier(), StandardPreprocessor().prepare_crops(faces))
    assert probs.shape == (2, 7)


def test_options_are_the_core_litert_options(tmp_path: Path) -> None:
    assert LiteRTInt8Classifier().options.model == "int8"
    with pytest.raises(fer_sdk.ComponentError, match="threads"):
        fer_sdk.EmotionRecognizer(classifier="litert-int8", classifier_options={"threads": 0})
    with pytest.raises(fer_sdk.ModelLoadError, match="neither a bundled preset"):
        LiteRTInt8Classifier(model=str(tmp_path / "nothing.tflite")).load()
    core = LiteRTInt8Classifier(model="fernet_fer7").predict_proba(np.zeros((1, 48, 48, 1), np.float32))
    np.testing.assert_allclose(core, fer_sdk.builtin.litert.LiteRTClassifier().predict_proba(np.zeros((1, 48, 48, 1))))


def test_tampered_model_file_is_refused(tmp_path: Path) -> None:
    with ExitStack() as stack:
        folder = bundled_model_dir("int8", stack)
        (tmp_path / "model.tflite").write_bytes((folder / "model.tflite").read_bytes())
        (tmp_path / "metadata.json").write_text((folder / "metadata.json").read_text())
    data = bytearray((tmp_path / "model.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "model.tflite").write_bytes(bytes(data))
    with pytest.raises(fer_sdk.ModelLoadError, match="SHA-256"):
        LiteRTInt8Classifier(model=str(tmp_path)).load()


def test_runs_without_importing_tensorflow() -> None:
    code = (
        "import numpy as np, fer_sdk_litert\n"
        "p = fer_sdk_litert.LiteRTInt8Classifier().predict_proba(np.zeros((2, 48, 48, 1), np.float32))\n"
        "assert p.shape == (2, 7), p.shape"
    )
    assert modules_imported_by(code, ["tensorflow", "keras"]) == []


def test_core_works_when_the_plugin_is_not_loaded(astronaut: np.ndarray) -> None:
    """What uninstalling leaves: the core without third-party plugins still predicts; 'litert-int8' is unknown."""
    folder = images_dir()
    assert folder is not None  # else the astronaut fixture has skipped the test
    photo = folder / "astronaut.png"
    code = (
        "import cv2, fer_sdk;"
        f"print(fer_sdk.EmotionRecognizer().predict(cv2.imread({str(photo)!r}))[0].emotion);"
        "fer_sdk.EmotionRecognizer(classifier='litert-int8')"
    )
    env = {**os.environ, "FER_SDK_DISABLE_PLUGIN_AUTOLOAD": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "happy"
    assert "UnknownComponentError" in out.stderr and "litert-int8" in out.stderr


@pytest.mark.dataset
@pytest.mark.slow
def test_public_test_agreement_with_keras(fer2013: Path, keras_rec: fer_sdk.EmotionRecognizer) -> None:
    """int8, the opt-in fast path, keeps the accuracy (within 0.5 points) and 99% of the Keras model's top labels."""
    from fer_sdk.datasets import load_split

    names = list(keras_rec.labels)
    ds = load_split(fer2013, "PublicTest", names, size=48)
    batch = keras_rec.preprocessor.prepare_crops(list(ds.images[..., 0]))
    reference = keras_rec.classifier.predict_proba(batch)
    probs = LiteRTInt8Classifier().predict_proba(batch)
    agreement = float((probs.argmax(1) == reference.argmax(1)).mean())
    accuracy = float((probs.argmax(1) == ds.labels).mean())
    assert agreement >= 0.99, agreement
    assert accuracy >= float((reference.argmax(1) == ds.labels).mean()) - 0.005, accuracy
    assert np.abs(probs - reference).max() < ATOL


@pytest.mark.slow
def test_export_command_round_trip(tmp_path: Path, astronaut: np.ndarray) -> None:
    """`fer-sdk export` on the bundled Keras model reproduces the shipped int8 model."""
    from fer_sdk.cli import main

    out = tmp_path / "export" / "model.tflite"
    assert main(["export", "--model", "fernet_fer7", "--out", str(out), "--quantize", "dynamic"]) == 0
    meta = json.loads((tmp_path / "export" / "metadata.json").read_text())
    with ExitStack() as stack:
        shipped = json.loads((bundled_model_dir("int8", stack) / "metadata.json").read_text())
    assert meta["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    if meta["versions"]["tensorflow"] == shipped["versions"]["tensorflow"]:
        assert meta["sha256"] == shipped["sha256"]  # the conversion is deterministic
    mine = fer_sdk.EmotionRecognizer(classifier="litert", classifier_options={"model": str(out.parent)})
    bundled = fer_sdk.EmotionRecognizer(classifier="litert-int8")
    np.testing.assert_allclose(
        list(mine.predict(astronaut)[0].scores.values()), list(bundled.predict(astronaut)[0].scores.values()), atol=1e-3
    )
    assert main(["export", "--out", str(out), "--quantize", "dynamic"]) == 1  # exists: refuses without --force

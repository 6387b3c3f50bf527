"""The bundled model: metadata, checksum, safe loading, and accuracy on real FER2013 faces."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from fer_sdk import EmotionRecognizer, ModelLoadError
from fer_sdk.builtin.keras_cnn import DEFAULT_PRESET, KerasClassifier, bundled_presets, sha256_file


def preset_dir() -> Path:
    with resources.as_file(resources.files("fer_sdk.presets") / DEFAULT_PRESET) as path:
        return Path(path)


def test_metadata_describes_the_model() -> None:
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    assert meta["labels"] == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert meta["input_size"] == [48, 48]
    assert meta["preprocessing"]["name"] == "standard"
    assert meta["training_data"]["split"] == "Training" and meta["training_data"]["images"] == 28707
    assert meta["metrics"]["PublicTest"]["n"] == 3589
    assert meta["sha256"] == sha256_file(preset_dir() / "model.keras")
    assert DEFAULT_PRESET in bundled_presets()


def test_recognizer_uses_the_preprocessing_the_model_declares() -> None:
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    rec = EmotionRecognizer()
    assert rec.preprocessor.options.margin == meta["preprocessing"]["margin"]  # type: ignore[attr-defined]
    assert rec.preprocessor.options.size == 48  # type: ignore[attr-defined]


@pytest.mark.dataset
def test_public_test_accuracy_far_above_chance_and_as_recorded(fer2013: Path) -> None:
    from fer_sdk.evaluation import evaluate

    report = evaluate(fer2013, "PublicTest")
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    assert report.n == 3589
    assert report.accuracy >= 0.60  # chance is 1/7, the majority class 25%
    assert report.accuracy == pytest.approx(meta["metrics"]["PublicTest"]["accuracy"], abs=0.005)
    assert report.per_class["happy"] > 0.8


@pytest.fixture()
def preset_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(preset_dir(), target)
    return target


def test_model_from_a_folder_and_from_its_keras_file(preset_copy: Path, astronaut: np.ndarray) -> None:
    by_folder = EmotionRecognizer(classifier=str(preset_copy)).predict(astronaut)
    by_file = EmotionRecognizer(classifier=preset_copy / "model.keras").predict(astronaut)
    assert by_folder == by_file == EmotionRecognizer().predict(astronaut)


def test_tampered_weights_are_refused_naming_file_and_checksum(preset_copy: Path, astronaut: np.ndarray) -> None:
    model = preset_copy / "model.keras"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    expected = json.loads((preset_copy / "metadata.json").read_text())["sha256"]
    with pytest.raises(ModelLoadError) as err:
        EmotionRecognizer(classifier=str(preset_copy)).predict(astronaut)
    assert str(model) in str(err.value) and expected in str(err.value)


def test_truncated_and_missing_weights_are_refused(preset_copy: Path) -> None:
    model = preset_copy / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(ModelLoadError, match="SHA-256"):
        KerasClassifier(model=str(preset_copy)).load()
    with pytest.raises(ModelLoadError, match="could not load"):
        KerasClassifier(model=str(preset_copy), verify_checksum=False).load()
    model.unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        KerasClassifier(model=str(preset_copy)).load()


def test_model_with_a_lambda_layer_is_refused_unless_opted_in(tmp_path: Path) -> None:
    import keras

    inputs = keras.Input((48, 48, 1))
    x = keras.layers.Lambda(lambda t: t * 1.0)(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(7, activation="softmax")(x)
    keras.Model(inputs, outputs).save(tmp_path / "model.keras")
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    meta["sha256"] = sha256_file(tmp_path / "model.keras")
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="safe mode"):
        KerasClassifier(model=str(tmp_path)).load()
    clf = KerasClassifier(model=str(tmp_path), safe_mode=False)
    assert clf.predict_proba(np.zeros((2, 48, 48, 1), np.float32)).shape == (2, 7)

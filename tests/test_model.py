"""The bundled model: metadata, checksum, safe loading, and accuracy on real FER2013 faces."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from fer_sdk import EmotionRecognizer, ModelLoadError
from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.preset import DEFAULT_PRESET, bundled_presets, sha256_file


def preset_dir() -> Path:
    with resources.as_file(resources.files("fer_sdk.presets") / DEFAULT_PRESET) as path:
        return Path(path)


def test_metadata_describes_the_model() -> None:
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    assert meta["labels"] == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert meta["input_size"] == [48, 48]
    assert meta["preprocessing"]["name"] == "standard"
    assert meta["training_data"]["split"] == "FER2013Train" and meta["training_data"]["images"] == 28217
    assert "FER+ votes" in meta["training_data"]["targets"] and meta["decision"] == "calibrated"
    assert meta["metrics"]["FER2013Valid"]["n"] == 3529
    # trained from random weights in one run of the recipe fernet_fer7_ferplus_scratch.yaml
    assert "init_from" not in meta["training"] and meta["training"]["config"]["epochs"] == 45
    assert meta["training"]["config"]["label_mode"] == "crossentropy" and meta["training"]["best_epoch"] == 44
    assert meta["sha256"] == sha256_file(preset_dir() / "model.keras")
    assert DEFAULT_PRESET in bundled_presets() and "fernet_fer7_fer2013" in bundled_presets()
    with resources.as_file(resources.files("fer_sdk.presets") / "fernet_fer7_fer2013") as path:
        old = json.loads((Path(path) / "metadata.json").read_text())
    assert old["training_data"]["split"] == "Training" and old["training_data"]["images"] == 28707
    assert old["metrics"]["PublicTest"]["n"] == 3589 and old["decision"] == "balanced"


def test_recognizer_uses_the_preprocessing_the_model_declares() -> None:
    meta = json.loads((preset_dir() / "metadata.json").read_text())
    rec = EmotionRecognizer()
    assert rec.preprocessor.options.margin == meta["preprocessing"]["margin"]  # type: ignore[attr-defined]
    assert rec.preprocessor.options.size == 48  # type: ignore[attr-defined]


@pytest.mark.dataset
def test_public_test_accuracy_far_above_chance_and_as_recorded(fer2013: Path) -> None:
    from fer_sdk.evaluation import evaluate

    # the FER2013-label preset; the default model is measured against the FER+ voters (test_ferplus.py)
    report = evaluate(fer2013, "PublicTest", "fernet_fer7_fer2013", classifier_options={"decision": "calibrated"})
    with resources.as_file(resources.files("fer_sdk.presets") / "fernet_fer7_fer2013") as path:
        meta = json.loads((Path(path) / "metadata.json").read_text())
    assert report.n == 3589
    assert report.accuracy >= 0.60  # chance is 1/7, the majority class 25%
    assert report.accuracy == pytest.approx(meta["metrics"]["PublicTest"]["accuracy"], abs=0.005)
    assert report.per_class["happy"] > 0.8


def _face_crops(astronaut: np.ndarray, hopper: np.ndarray, n: int = 32) -> np.ndarray:
    """``n`` prepared crops of two real faces, shifted and flipped a little so that they differ."""
    rec = EmotionRecognizer()
    crops = []
    for photo in (astronaut, hopper):
        (face,) = rec.detect(photo)
        for i in range(n // 2):
            dx, dy = i % 4 - 2, i // 4 % 4 - 2
            crop = photo[face.y + dy : face.y + face.h + dy, face.x + dx : face.x + face.w + dx]
            crops.append(crop[:, ::-1] if i % 2 else crop)
    return rec.preprocessor.prepare_crops(crops)


def test_bfloat16_gives_the_float32_labels_and_probabilities_that_sum_to_one(
    astronaut: np.ndarray, hopper: np.ndarray
) -> None:
    batch = _face_crops(astronaut, hopper)
    f32 = KerasClassifier(precision="float32").predict_proba(batch)
    bf16 = KerasClassifier(precision="bfloat16").predict_proba(batch)
    assert bf16.dtype == np.float32 and bf16.shape == f32.shape
    np.testing.assert_allclose(bf16.sum(axis=1), 1.0, atol=1e-5)
    assert np.abs(bf16 - f32).max() < 0.05
    top2 = np.sort(f32, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 0.05  # crops where float32's top label is not a near tie
    assert clear.sum() >= len(batch) // 2
    assert (bf16.argmax(axis=1) == f32.argmax(axis=1))[clear].all()
    assert not np.array_equal(bf16, f32)  # it did compute in bfloat16


@pytest.mark.parametrize("has_bf16", [True, False], ids=["bf16-cpu", "cpu-without-bf16"])
def test_auto_precision_uses_bfloat16_for_several_crops_only_where_the_cpu_has_it(
    astronaut: np.ndarray, hopper: np.ndarray, has_bf16: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both kinds of CPU, whichever this one is: bfloat16 units present (AVX512-BF16, AMX) or absent."""
    import fer_sdk.builtin.keras_cnn as keras_cnn

    monkeypatch.setattr(keras_cnn, "cpu_supports_bf16", lambda: has_bf16)
    batch = _face_crops(astronaut, hopper)
    auto = KerasClassifier()  # precision="auto", bf16_min_batch=2
    f32 = KerasClassifier(precision="float32")
    bf16 = KerasClassifier(precision="bfloat16")  # runs on any CPU (emulated where it has no bf16 units)
    expected = bf16 if has_bf16 and auto._cpu_only() else f32
    np.testing.assert_array_equal(auto.predict_proba(batch), expected.predict_proba(batch))
    np.testing.assert_array_equal(auto.predict_proba(batch[:2]), expected.predict_proba(batch[:2]))
    singles = np.concatenate([auto.predict_proba(batch[i : i + 1]) for i in range(len(batch))])
    np.testing.assert_allclose(singles, f32.predict_proba(batch), atol=1e-5)  # one crop: float32


def test_folded_batch_norms_give_the_saved_models_probabilities(astronaut: np.ndarray, hopper: np.ndarray) -> None:
    batch = _face_crops(astronaut, hopper)
    folded = KerasClassifier(precision="float32")
    as_saved = KerasClassifier(precision="float32", fold_batchnorm=False)
    np.testing.assert_allclose(folded.predict_proba(batch), as_saved.predict_proba(batch), atol=1e-5)
    assert not any(layer.__class__.__name__ == "BatchNormalization" for layer in folded.inference_model.layers)
    assert sum(layer.__class__.__name__ == "BatchNormalization" for layer in folded.keras_model.layers) == 8
    assert as_saved.inference_model is as_saved.keras_model


def test_fold_batchnorm_folds_what_it_can_and_keeps_the_function() -> None:
    import keras

    from fer_sdk.builtin.keras_cnn import fold_batchnorm

    rng = np.random.default_rng(0)
    inputs = keras.Input((12, 12, 3))
    a = keras.layers.Conv2D(8, 3, name="conv")(inputs)  # with a bias: folds
    a = keras.layers.BatchNormalization(name="bn_conv")(a)
    b = keras.layers.Conv2D(8, 3, activation="relu", name="conv_relu")(inputs)  # an activation between: stays
    b = keras.layers.BatchNormalization(name="bn_after_relu")(b)
    c = keras.layers.Conv2D(8, 3, use_bias=False, name="conv_shared")(inputs)  # output used twice: stays
    c = keras.layers.Add(name="add")([keras.layers.BatchNormalization(name="bn_shared")(c), c])
    x = keras.layers.Concatenate()([a, b, c])
    x = keras.layers.Dense(5, use_bias=False, name="dense")(keras.layers.Flatten()(x))
    x = keras.layers.BatchNormalization(scale=False, name="bn_dense")(x)  # no gamma: folds
    model = keras.Model(inputs, keras.layers.Softmax()(x))
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 2, layer.moving_variance.shape))
    folded = fold_batchnorm(model)
    kept = {layer.name for layer in folded.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert kept == {"bn_after_relu", "bn_shared"}
    x = rng.random((4, 12, 12, 3)).astype(np.float32)
    np.testing.assert_allclose(folded(x, training=False), model(x, training=False), atol=1e-5)
    assert model.get_layer("bn_conv").__class__.__name__ == "BatchNormalization"  # the model itself is untouched
    seed = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3)])
    assert fold_batchnorm(seed) is seed  # nothing to fold: the model itself


def test_device_option_gives_the_same_results_on_both_paths(astronaut: np.ndarray, hopper: np.ndarray) -> None:
    batch = _face_crops(astronaut, hopper, n=4)
    on_cpu = KerasClassifier(device="/CPU:0", precision="float32")
    default = KerasClassifier(precision="float32")
    for n in (1, 4):  # the single-crop (XLA) path and the batch path
        np.testing.assert_allclose(on_cpu.predict_proba(batch[:n]), default.predict_proba(batch[:n]), atol=1e-5)


def test_single_crops_compiled_with_xla_match_the_graph(
    astronaut: np.ndarray, hopper: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    batch = _face_crops(astronaut, hopper, n=8)
    xla = KerasClassifier()
    plain = KerasClassifier(xla_single_crop=False)
    with caplog.at_level("WARNING", logger="fer_sdk.builtin.keras_cnn"):
        for crop in batch:
            np.testing.assert_allclose(xla.predict_proba(crop[None]), plain.predict_proba(crop[None]), atol=1e-5)
    assert not [r for r in caplog.records if "XLA" in r.getMessage()]  # compiled, no fallback


def test_flip_tta_averages_each_crop_with_its_mirror_image(astronaut: np.ndarray, hopper: np.ndarray) -> None:
    batch = _face_crops(astronaut, hopper, n=8)
    plain = KerasClassifier(precision="float32")
    expected = (plain.predict_proba(batch) + plain.predict_proba(batch[:, :, ::-1])) / 2
    tta = KerasClassifier(precision="float32", flip_tta=True)
    np.testing.assert_allclose(tta.predict_proba(batch), expected, atol=1e-6)
    for crop, want in zip(batch[:2], expected[:2], strict=True):  # one crop: the XLA path, mirror included
        np.testing.assert_allclose(tta.predict_proba(crop[None])[0], want, atol=1e-5)


@pytest.mark.dataset
def test_flip_tta_option_gives_the_evaluated_tta_accuracy(fer2013: Path) -> None:
    from fer_sdk.evaluation import evaluate

    plain = evaluate(fer2013, "PublicTest", tta=True, classifier_options={"precision": "float32"})
    tta = evaluate(fer2013, "PublicTest", classifier_options={"precision": "float32", "flip_tta": True})
    assert plain.tta_flip is not None
    assert tta.accuracy == pytest.approx(plain.tta_flip["accuracy"], abs=1e-3)
    assert tta.accuracy > plain.accuracy  # 69.8% against 68.7% with the shipped model (model card)


@pytest.mark.dataset
def test_bfloat16_keeps_public_test_accuracy(fer2013: Path) -> None:
    from fer_sdk.datasets import load_split

    labels = list(EmotionRecognizer().labels)
    ds = load_split(fer2013, "PublicTest", labels)
    crops = ds.images[..., 0]
    predicted = {}
    for precision in ("float32", "bfloat16"):
        rec = EmotionRecognizer(classifier_options={"precision": precision})
        predicted[precision] = np.array([labels.index(p.emotion) for p in rec.classify(crops)])
    agree = float((predicted["float32"] == predicted["bfloat16"]).mean())
    acc = {k: float((v == ds.labels).mean()) for k, v in predicted.items()}
    assert agree >= 0.99, agree  # 99.39% with the shipped model (model card)
    assert abs(acc["bfloat16"] - acc["float32"]) <= 0.005, acc
    # one face at a time (float32 compiled with XLA, the keras path for a single face): the same labels
    rec = EmotionRecognizer(classifier="keras")
    single = np.array([labels.index(rec.classify(crop[None])[0].emotion) for crop in crops])
    assert (single == predicted["float32"]).mean() >= 0.999, (single == predicted["float32"]).mean()


@pytest.fixture()
def preset_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(preset_dir(), target)
    return target


def test_model_from_a_folder_and_from_its_keras_file(preset_copy: Path, astronaut: np.ndarray) -> None:
    rec = EmotionRecognizer(classifier=str(preset_copy))
    by_folder = rec.predict(astronaut)
    keras_rec = EmotionRecognizer(classifier=preset_copy / "model.keras")  # a .keras file: the keras classifier
    assert isinstance(keras_rec.classifier, KerasClassifier)
    by_file = keras_rec.predict(astronaut)
    assert by_folder == EmotionRecognizer().predict(astronaut)  # the folder runs as the default does
    assert [(f.box, f.emotion) for f in by_folder] == [(f.box, f.emotion) for f in by_file]
    for a, b in zip(by_folder, by_file, strict=True):  # the same network on LiteRT (int8 where sure) and Keras
        np.testing.assert_allclose(list(a.scores.values()), list(b.scores.values()), atol=0.05)


def test_tampered_weights_are_refused_naming_file_and_checksum(preset_copy: Path, astronaut: np.ndarray) -> None:
    model = preset_copy / "model.keras"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    expected = json.loads((preset_copy / "metadata.json").read_text())["sha256"]
    with pytest.raises(ModelLoadError) as err:
        EmotionRecognizer(classifier=str(preset_copy), classifier_options={"precision": "float32"}).predict(astronaut)
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

"""The default classifier's runtime: LiteRT on a machine without a GPU, Keras/TensorFlow on GPUs and on request.

The choice logic runs with the GPU check and the installed packages mocked, both ways; the
runtimes themselves run for real (the float32 LiteRT file shipped in the preset, the Keras model).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

import fer_sdk
from conftest import IMAGES
from fer_sdk import runtime
from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.builtin.litert import RECHECK_MARGIN, LiteRTClassifier, litert_installed
from fer_sdk.errors import MissingExtraError
from fer_sdk.runtime import choose_classifier

PRESET = Path(str(resources.files("fer_sdk.presets") / "fernet_fer7"))
BLOCK_TF = "import sys; sys.modules.update(tensorflow=None, keras=None); "


@pytest.fixture()
def cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine as one without a GPU, whatever it has, and without an override in the environment."""
    monkeypatch.setattr(runtime, "gpu_visible", lambda: False)
    monkeypatch.delenv(runtime.CLASSIFIER_ENV, raising=False)


@pytest.fixture()
def keras_rec() -> fer_sdk.EmotionRecognizer:
    return fer_sdk.EmotionRecognizer(classifier="keras", classifier_options={"precision": "float32"})


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env_code = "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); "
    return subprocess.run([sys.executable, "-c", env_code + code, *args], capture_output=True, text=True)


# the choice ------------------------------------------------------------------------------
def test_default_is_litert_without_a_gpu_and_says_why(cpu_only: None) -> None:
    assert litert_installed(), "the plain install brings ai-edge-litert on this platform"
    rec = fer_sdk.EmotionRecognizer()
    assert isinstance(rec.classifier, LiteRTClassifier)
    assert "classifier 'litert'" in repr(rec) and "[auto: no GPU visible;" in repr(rec)
    reason = "no GPU visible; LiteRT is the lightest runtime of the model"
    assert choose_classifier() == runtime.RuntimeChoice("litert", reason)


def test_keras_on_a_gpu_when_tensorflow_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtime.CLASSIFIER_ENV, raising=False)
    monkeypatch.setattr(runtime, "gpu_visible", lambda: True)
    monkeypatch.setattr(runtime, "tensorflow_installed", lambda: True)
    rec = fer_sdk.EmotionRecognizer()
    assert isinstance(rec.classifier, KerasClassifier)
    assert "[auto: TensorFlow is installed and an NVIDIA GPU is visible]" in repr(rec)
    monkeypatch.setattr(runtime, "tensorflow_installed", lambda: False)  # a GPU, but the lean install
    assert choose_classifier().name == "litert"
    assert "TensorFlow is not installed" in choose_classifier().reason


def test_asking_for_keras_by_name_option_or_environment(cpu_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(fer_sdk.EmotionRecognizer(classifier="keras").classifier, KerasClassifier)
    by_option = fer_sdk.EmotionRecognizer(classifier_options={"precision": "float32", "flip_tta": True})
    assert isinstance(by_option.classifier, KerasClassifier) and "Keras-only option(s) ['precision']" in repr(by_option)
    flip = fer_sdk.EmotionRecognizer(classifier_options={"flip_tta": True})  # both runtimes take it
    assert isinstance(flip.classifier, LiteRTClassifier) and flip.classifier.options.flip_tta
    monkeypatch.setenv(runtime.CLASSIFIER_ENV, "keras")
    assert choose_classifier() == runtime.RuntimeChoice("keras", "FER_SDK_CLASSIFIER=keras")
    assert isinstance(fer_sdk.EmotionRecognizer().classifier, KerasClassifier)


def test_fallback_to_tensorflow_logs_once(cpu_only: None, monkeypatch: pytest.MonkeyPatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("fer_sdk.builtin.litert.litert_installed", lambda: False)
    monkeypatch.setattr(runtime, "_warned_fallback", False)
    with caplog.at_level(logging.WARNING, logger="fer_sdk.runtime"):
        first = fer_sdk.EmotionRecognizer()
        second = fer_sdk.EmotionRecognizer()
    assert isinstance(first.classifier, KerasClassifier) and isinstance(second.classifier, KerasClassifier)
    assert "[auto: LiteRT is not installed]" in repr(first)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "LiteRT (ai-edge-litert) is not installed" in messages[0]


def test_neither_runtime_installed_is_a_clear_error(cpu_only: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fer_sdk.builtin.litert.litert_installed", lambda: False)
    monkeypatch.setattr(runtime, "tensorflow_installed", lambda: False)
    with pytest.raises(MissingExtraError, match=r"pip install ai-edge-litert .* 'fer_sdk\[tensorflow\]'"):
        fer_sdk.EmotionRecognizer()


def test_gpu_check_reads_the_driver_and_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    for hidden in ("-1", ""):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert runtime.gpu_visible() is False
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    driver = Path("/proc/driver/nvidia/gpus")
    wsl = Path("/usr/lib/wsl/lib/libcuda.so")
    expected = (driver.is_dir() and any(driver.iterdir())) or Path("/dev/nvidia0").exists() or wsl.exists()
    assert runtime.gpu_visible() is expected


def test_a_model_folder_without_a_litert_file_runs_on_keras(cpu_only: None, tmp_path: Path) -> None:
    """A folder fer_sdk.train wrote has model.keras only; the same folder after export --in-place runs on LiteRT."""
    shutil.copy(PRESET / "model.keras", tmp_path / "model.keras")
    meta = json.loads((PRESET / "metadata.json").read_text())
    del meta["runtime_files"]
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    rec = fer_sdk.EmotionRecognizer(classifier=str(tmp_path))
    assert isinstance(rec.classifier, KerasClassifier) and "has no LiteRT file" in repr(rec)
    with pytest.raises(fer_sdk.ModelLoadError, match="--in-place"):
        LiteRTClassifier(model=str(tmp_path)).load()
    shutil.copy(PRESET / "model.tflite", tmp_path / "model.tflite")
    (tmp_path / "metadata.json").write_text((PRESET / "metadata.json").read_text())
    assert isinstance(fer_sdk.EmotionRecognizer(classifier=str(tmp_path)).classifier, LiteRTClassifier)
    # a LiteRT file left over from another model.keras is refused
    meta = json.loads((PRESET / "metadata.json").read_text())
    meta["runtime_files"]["tflite"]["exported_from_sha256"] = "0" * 64
    (tmp_path / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(fer_sdk.ModelLoadError, match="exported from another model file"):
        LiteRTClassifier(model=str(tmp_path)).load()


# the LiteRT runtime -------------------------------------------------------------------------
def test_preset_records_its_litert_file() -> None:
    meta = json.loads((PRESET / "metadata.json").read_text())
    entry = meta["runtime_files"]["tflite"]
    assert entry["model_file"] == "model.tflite" and entry["quantize"] == "none"
    assert entry["exported_from_sha256"] == meta["sha256"], "re-export: fer-sdk export --model DIR --in-place --force"
    assert entry["max_abs_diff"] < 1e-4
    int8 = meta["runtime_files"]["tflite_int8"]
    assert int8["model_file"] == "model_int8.tflite" and int8["quantize"] == "dynamic"
    assert int8["exported_from_sha256"] == meta["sha256"] and int8["max_abs_diff"] < RECHECK_MARGIN / 2


def test_same_predictions_as_keras_on_photos(keras_rec: fer_sdk.EmotionRecognizer, two_faces: np.ndarray) -> None:
    lite = fer_sdk.EmotionRecognizer(classifier="litert")  # int8 first, float32 where the best two are close
    exact = fer_sdk.EmotionRecognizer(classifier="litert", classifier_options={"int8": False})
    for frame in (two_faces, cv2.imread(str(IMAGES / "astronaut.png"))):
        want = keras_rec.predict(frame)
        for rec, atol in ((lite, RECHECK_MARGIN / 2), (exact, 1e-4)):
            got = rec.predict(frame)
            assert [f.box for f in got] == [f.box for f in want] and got
            for a, b in zip(got, want, strict=True):
                assert a.emotion == b.emotion
                np.testing.assert_allclose(list(a.scores.values()), list(b.scores.values()), atol=atol)
    crops = [two_faces[80:400, :320], two_faces[80:400, 320:]]
    tta_lite = fer_sdk.EmotionRecognizer(
        classifier="litert", classifier_options={"flip_tta": True, "int8": False}
    ).classify(crops)
    tta_keras = fer_sdk.EmotionRecognizer(
        classifier="keras", classifier_options={"flip_tta": True, "precision": "float32"}
    ).classify(crops)
    for a, b in zip(tta_lite, tta_keras, strict=True):
        np.testing.assert_allclose(list(a.scores.values()), list(b.scores.values()), atol=1e-4)


def test_int8_first_and_float32_where_the_best_two_scores_are_close(astronaut: np.ndarray, hopper: np.ndarray) -> None:
    """The default runs the int8 copy, then float32 on the crops it might have labelled differently."""
    rng = np.random.default_rng(0)
    faces = [astronaut[55:175, 165:285], hopper[120:350, 160:380]]
    crops = []
    for k in range(64):  # the two faces fading into grey noise: clear crops first, ambiguous ones later
        face = cv2.resize(faces[k % 2], (120, 120)).astype(np.float32)
        alpha = (k // 2) / 32
        noise = rng.normal(128.0, 40.0, face.shape)
        crops.append(np.clip((1 - alpha) * face + alpha * noise, 0, 255).astype(np.uint8))
    batch = fer_sdk.EmotionRecognizer(classifier="litert").preprocessor.prepare_crops(crops)
    float32 = LiteRTClassifier(int8=False).predict_proba(batch)
    int8 = LiteRTClassifier(int8=True, recheck_margin=0.0).predict_proba(batch)
    checked = LiteRTClassifier(int8=True)
    got = checked.predict_proba(batch)
    assert checked.precision == "int8+float32"
    assert LiteRTClassifier(int8=True, recheck_margin=1.0).precision == "float32"
    best_two = np.sort(int8, axis=1)[:, -2:]
    close = best_two[:, 1] - best_two[:, 0] < RECHECK_MARGIN
    assert close.any() and (~close).any(), close  # both kinds of crop are in the batch
    np.testing.assert_allclose(got[close], float32[close], atol=1e-6)  # rechecked in float32
    np.testing.assert_allclose(got[~close], int8[~close], atol=1e-6)  # int8 was sure enough
    assert (got.argmax(1) == float32.argmax(1)).all()
    assert np.abs(got - float32).max() < RECHECK_MARGIN / 2
    np.testing.assert_allclose(LiteRTClassifier(int8=True, recheck_margin=1.0).predict_proba(batch), float32, atol=1e-6)


def test_int8_first_by_default_only_where_the_cpu_has_int8_dot_products(monkeypatch: pytest.MonkeyPatch) -> None:
    from fer_sdk.builtin import litert

    for has_dot, expected in ((True, "int8+float32"), (False, "float32")):
        monkeypatch.setattr(litert, "cpu_has_int8_dot", lambda has_dot=has_dot: has_dot)
        assert LiteRTClassifier().precision == expected
        assert LiteRTClassifier(int8=False).precision == "float32"
        assert LiteRTClassifier(int8=True).precision == "int8+float32"


def test_batches_cut_into_pieces_and_the_alias(astronaut: np.ndarray) -> None:
    crops = [astronaut[55:175, 165:285], astronaut, astronaut[:200, 100:300], cv2.flip(astronaut, 1)] * 4
    clf = LiteRTClassifier(batch_size=4, threads=1, int8=False)
    assert list(clf._pieces(13)) == [4, 4, 4, 1] and list(clf._pieces(7)) == [4, 2, 1] and list(clf._pieces(0)) == []
    rec = fer_sdk.EmotionRecognizer(classifier=clf)
    batch = rec.preprocessor.prepare_crops(crops[:13])
    together = clf.predict_proba(batch)
    one_by_one = np.concatenate([clf.predict_proba(batch[i : i + 1]) for i in range(13)])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)
    assert sorted(clf._runners) == [1, 4]
    by_alias = fer_sdk.EmotionRecognizer(classifier="tflite").classify(crops[:13])
    assert [p.emotion for p in by_alias] == [rec.labels[i] for i in together.argmax(1)]


def test_concurrent_calls_give_the_same_results(astronaut: np.ndarray) -> None:
    clf = LiteRTClassifier()
    batch = fer_sdk.EmotionRecognizer(classifier=clf).preprocessor.prepare_crops([astronaut] * 5)
    expected = clf.predict_proba(batch)
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(clf.predict_proba(batch))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(np.array_equal(r, expected) for r in results)


def test_bad_input_and_bad_model_files_raise_project_errors(tmp_path: Path) -> None:
    clf = LiteRTClassifier()
    for bad in (np.zeros((2, 48, 48), np.float32), np.zeros((1, 64, 64, 1), np.float32), np.zeros(3)):
        with pytest.raises(fer_sdk.InvalidImageError, match=r"expected \(n, 48, 48, 1\)"):
            clf.predict_proba(bad)
    assert clf.predict_proba(np.zeros((0, 48, 48, 1), np.float32)).shape == (0, 7)
    with pytest.raises(fer_sdk.InvalidImageError):
        fer_sdk.EmotionRecognizer(classifier="litert").predict(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(fer_sdk.ComponentError, match="threads"):
        fer_sdk.EmotionRecognizer(classifier="litert", classifier_options={"threads": 0})
    with pytest.raises(fer_sdk.ModelLoadError, match="neither a bundled preset"):
        LiteRTClassifier(model=str(tmp_path / "nothing.tflite")).load()
    shutil.copy(PRESET / "model.tflite", tmp_path / "model.tflite")
    shutil.copy(PRESET / "metadata.json", tmp_path / "metadata.json")
    data = bytearray((tmp_path / "model.tflite").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "model.tflite").write_bytes(bytes(data))
    with pytest.raises(fer_sdk.ModelLoadError, match="SHA-256"):
        LiteRTClassifier(model=str(tmp_path)).load()
    (tmp_path / "model.tflite").write_bytes(b"not a flatbuffer")
    with pytest.raises(fer_sdk.ModelLoadError, match="LiteRT cannot load"):
        LiteRTClassifier(model=str(tmp_path / "model.tflite"), verify_checksum=False).load()


# without TensorFlow ---------------------------------------------------------------------------
def test_default_predicts_without_importing_tensorflow() -> None:
    code = (
        "import sys, cv2, fer_sdk; rec = fer_sdk.EmotionRecognizer();"
        f"faces = rec.predict(cv2.imread({str(IMAGES / 'astronaut.png')!r}));"
        "print(faces[0].emotion, type(rec.classifier).__name__, 'tensorflow' in sys.modules)"
    )
    out = run_python(code)
    assert out.stdout.strip() == "happy LiteRTClassifier False", out.stderr


def test_commands_that_need_tensorflow_name_the_extra(tmp_path: Path) -> None:
    """The lean install (TensorFlow made unimportable): predict works; train, export, keras say what to install."""
    cli = BLOCK_TF + "from fer_sdk.cli import main; sys.exit(main(sys.argv[1:]))"
    photo = str(IMAGES / "astronaut.png")
    ok = run_python(cli, "predict", photo)
    assert ok.returncode == 0 and " happy " in ok.stdout, ok.stderr
    for args in (
        ["predict", photo, "--classifier", "keras"],
        ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--epochs", "1"],
        ["export", "--out", str(tmp_path / "model.tflite")],
        ["featuremaps", photo, "--out", str(tmp_path / "maps.png")],
    ):
        res = run_python(cli, *args)
        assert res.returncode == 2, (args, res.stderr)
        assert "needs TensorFlow" in res.stderr and "pip install 'fer_sdk[tensorflow]'" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
    plugins = run_python(cli, "plugins")
    assert "default classifier (auto): litert (TensorFlow is not installed;" in plugins.stdout


@pytest.mark.skipif(
    not fer_sdk.runtime.tensorflow_installed() or not fer_sdk.runtime.gpu_visible(),
    reason="needs TensorFlow and an NVIDIA GPU (checked without one with the GPU check mocked above)",
)
def test_keras_runs_on_the_gpu_when_tensorflow_sees_one(astronaut: np.ndarray) -> None:
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("an NVIDIA GPU is visible but TensorFlow cannot use it (no CUDA libraries)")
    rec = fer_sdk.EmotionRecognizer()
    assert isinstance(rec.classifier, KerasClassifier)
    assert [f.emotion for f in rec.predict(astronaut)] == ["happy"]
    assert rec.classifier._cpu_only() is False


# the LiteRT file of a preset ---------------------------------------------------------------
@pytest.mark.slow
def test_export_in_place_rebuilds_a_presets_litert_file(tmp_path: Path) -> None:
    from fer_sdk.cli import main

    shutil.copy(PRESET / "model.keras", tmp_path / "model.keras")
    meta = json.loads((PRESET / "metadata.json").read_text())
    shipped = meta.pop("runtime_files")["tflite"]
    (tmp_path / "metadata.json").write_text(json.dumps(meta, indent=2))
    assert main(["export", "--model", str(tmp_path), "--in-place"]) == 0
    files = json.loads((tmp_path / "metadata.json").read_text())["runtime_files"]
    entry = files["tflite"]
    assert entry["exported_from_sha256"] == meta["sha256"] and entry["max_abs_diff"] < 1e-4
    assert files["tflite_int8"]["exported_from_sha256"] == meta["sha256"] and (tmp_path / "model_int8.tflite").is_file()
    if entry["versions"]["tensorflow"] == shipped["versions"]["tensorflow"]:
        assert entry["sha256"] == shipped["sha256"]  # the conversion is deterministic
    assert isinstance(fer_sdk.EmotionRecognizer(classifier=str(tmp_path)).classifier, LiteRTClassifier)
    assert main(["export", "--model", str(tmp_path), "--in-place"]) == 1  # recorded: refuses without --force
    assert main(["export", "--model", str(tmp_path), "--in-place", "--quantize", "dynamic"]) == 2


@pytest.mark.dataset
@pytest.mark.slow
def test_public_test_same_labels_as_keras(fer2013: Path, keras_rec: fer_sdk.EmotionRecognizer) -> None:
    """Issue 21: the default runtime gives the Keras model's top label on at least 99.9% of PublicTest."""
    from fer_sdk.datasets import load_split

    ds = load_split(fer2013, "PublicTest", list(keras_rec.labels), size=48)
    batch = keras_rec.preprocessor.prepare_crops(list(ds.images[..., 0]))
    reference = keras_rec.classifier.predict_proba(batch)
    probs = LiteRTClassifier(int8=True).predict_proba(batch)  # int8, float32 where close
    agreement = float((probs.argmax(1) == reference.argmax(1)).mean())
    assert agreement >= 0.999, agreement
    assert np.abs(probs - reference).max() < RECHECK_MARGIN / 2
    assert np.abs(LiteRTClassifier(int8=False).predict_proba(batch) - reference).max() < 1e-4

"""The training recipe's loaders and a tiny end-to-end training run."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import keras
import numpy as np
import pytest

import fer_sdk
from fer_sdk import DatasetError, EmotionRecognizer, ModelLoadError
from fer_sdk.builtin.keras_cnn import KerasClassifier, bfloat16_twin
from fer_sdk.datasets import load_class_folders, load_fer2013_csv, load_split
from fer_sdk.train import TrainConfig, train
from fer_sdk.train.augment import AugmentConfig, augment_batch, warp
from fer_sdk.train.pipeline import make_dataset
from fer_sdk.train.sources import teacher_targets


def _pixels(value: int) -> str:
    return " ".join([str(value)] * (48 * 48))


@pytest.fixture()
def fer_csv(tmp_path: Path) -> Path:
    path = tmp_path / "fer2013.csv"
    rows = [
        ("0", _pixels(10), "Training"),  # line 2
        ("3", _pixels(200), "Training"),  # line 3
        ("1", _pixels(50), "Training"),  # line 4: disgust
        ("9", _pixels(10), "Training"),  # line 5: bad label
        ("6", "1 2 3", "Training"),  # line 6: too few pixels
        ("4", _pixels(300), "Training"),  # line 7: out of range
        ("x", _pixels(1), "Training"),  # line 8: not a number
        ("5", _pixels(120), "PublicTest"),  # line 9
    ]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["emotion", "pixels", "Usage"])
        writer.writerows(rows)
    return path


def test_csv_loader_splits_by_usage_and_reports_bad_rows(fer_csv: Path) -> None:
    with pytest.warns(UserWarning) as record:
        ds = load_fer2013_csv(fer_csv, "Training")
    message = str(record[0].message)
    for line in (5, 6, 7, 8):
        assert f"fer2013.csv:{line}:" in message
    assert len(ds) == 3 and ds.images.shape == (3, 48, 48, 1) and ds.images.dtype == np.uint8
    assert ds.labels.tolist() == [0, 3, 1] and ds.names[1] == "disgust"
    assert int(ds.images[1].max()) == 200
    assert len(ds.problems) == 4
    public = load_fer2013_csv(fer_csv, "PublicTest")
    assert public.labels.tolist() == [5]


def test_csv_loader_merges_disgust_for_fer6_and_can_raise(fer_csv: Path) -> None:
    with pytest.warns(UserWarning):
        ds = load_split(fer_csv, "Training", "fer6")
    assert ds.names == ("angry", "fear", "happy", "sad", "surprise", "neutral")
    assert ds.labels.tolist() == [0, 2, 0]
    with pytest.raises(DatasetError, match=r"fer2013\.csv:5: emotion id 9"):
        load_fer2013_csv(fer_csv, "Training", on_error="raise")


def test_csv_without_needed_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("label,data\n1,2\n")
    with pytest.raises(DatasetError, match="missing column"):
        load_fer2013_csv(path, "Training")


def _make_folders(root: Path, per_class: int = 6) -> Path:
    rng = np.random.default_rng(0)
    for k, name in enumerate(("happy", "sad", "surprise")):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            img = rng.integers(0, 40, (64, 64), dtype=np.uint8) + k * 90
            cv2.imwrite(str(folder / f"{i}.png"), img)
    return root


def test_class_folder_loader_reports_corrupt_files(tmp_path: Path) -> None:
    root = _make_folders(tmp_path / "data")
    (root / "sad" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.warns(UserWarning, match="broken.jpg: not a readable image"):
        ds = load_class_folders(root)
    assert ds.names == ("happy", "sad", "surprise") and len(ds) == 18
    assert ds.images.shape[1:] == (48, 48, 1)
    with pytest.raises(DatasetError, match=r"broken\.jpg"):
        load_class_folders(root, on_error="raise")
    with pytest.raises(DatasetError, match="does not exist"):
        load_class_folders(tmp_path / "nowhere")


def _folder_config(train_root: Path, out: Path, **fields: Any) -> TrainConfig:
    """A small float32 training config on the class folders of ``_make_folders``."""
    return TrainConfig(
        data=train_root,
        train_split=None,
        val_split=None,
        labels=["happy", "sad", "surprise"],
        batch_size=16,
        out=out,
        precision="float32",
        **fields,
    )


@pytest.mark.slow
def test_tiny_training_run_gives_a_model_the_sdk_loads(tmp_path: Path) -> None:
    train_root = _make_folders(tmp_path / "train", per_class=16)
    val_root = _make_folders(tmp_path / "val", per_class=4)
    cfg = _folder_config(train_root, tmp_path / "out", val_data=val_root, arch="seed", epochs=2)
    report = train(cfg)
    assert report.epochs_run == 2 and len(report.history) == 2
    assert (tmp_path / "out" / "history.csv").read_text().count("\n") == 3
    assert (tmp_path / "out" / "curves.png").stat().st_size > 1000
    meta = json.loads(report.metadata_path.read_text())
    assert meta["labels"] == ["happy", "sad", "surprise"] and meta["arch"] == "seed"
    rec = EmotionRecognizer(classifier=str(tmp_path / "out"))
    assert rec.labels == ("happy", "sad", "surprise")
    preds = rec.classify([np.full((48, 48), 200, np.uint8)])
    assert set(preds[0].scores) == {"happy", "sad", "surprise"}

    # resume: a finished run with more epochs continues from its checkpoint
    more = train(cfg.model_copy(update={"epochs": 3, "resume": True}))
    assert [h.epoch for h in more.history] == [1, 2, 3]

    # init_from: a new run starts from the trained weights (a vanishing learning rate keeps them)
    def first_kernel(model_dir: Path) -> np.ndarray:
        return np.asarray(KerasClassifier(model=str(model_dir)).keras_model.get_layer("block1_conv1").get_weights()[0])

    start = {"out": tmp_path / "tuned", "init_from": str(tmp_path / "out"), "learning_rate": 1e-12, "epochs": 1}
    tuned = train(cfg.model_copy(update=start))
    np.testing.assert_allclose(first_kernel(tuned.out), first_kernel(tmp_path / "out"), atol=1e-6)
    lineage = json.loads(tuned.metadata_path.read_text())["training"]["init_from"]
    source_meta = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert lineage["sha256"] == source_meta["sha256"] and lineage["training"]["epochs_run"] == 3
    fresh = train(cfg.model_copy(update={**start, "out": tmp_path / "fresh", "init_from": None}))
    assert not np.allclose(first_kernel(fresh.out), first_kernel(tmp_path / "out"), atol=1e-3)
    # average_of: the mean of the weights, batch-norm statistics measured again, lineage recorded
    avg = train(cfg.model_copy(update={"out": tmp_path / "avg", "average_of": [str(tmp_path / "out"), str(fresh.out)]}))
    expected = (first_kernel(tmp_path / "out") + first_kernel(fresh.out)) / 2
    np.testing.assert_allclose(first_kernel(avg.out), expected, atol=1e-6)
    avg_meta = json.loads(avg.metadata_path.read_text())
    assert [m["sha256"] for m in avg_meta["training"]["averaged_from"]] == [
        source_meta["sha256"],
        json.loads(fresh.metadata_path.read_text())["sha256"],
    ]
    assert avg.history == [] and 0.0 <= avg_meta["metrics"]["validation"]["accuracy"] <= 1.0
    with pytest.raises(ValueError, match="average_of"):
        TrainConfig(data=train_root, average_of=[str(tmp_path / "out")])
    with pytest.raises(ValueError, match="set only one"):
        TrainConfig(data=train_root, average_of=["a", "b"], init_from="c")
    with pytest.raises(ValueError, match="set only one"):
        TrainConfig(data=train_root, average_of=["a", "b"], ensemble_of=["a", "b"])
    # ensemble_of: one model whose probabilities are the mean of its members'
    members_of = [str(tmp_path / "out"), str(fresh.out)]
    ens = train(cfg.model_copy(update={"out": tmp_path / "ens", "ensemble_of": members_of}))
    ens_meta = json.loads(ens.metadata_path.read_text())
    assert ens.arch == ens_meta["arch"] == "ensemble"
    assert [(m["arch"], m["sha256"]) for m in ens_meta["training"]["ensemble_of"]] == [
        ("seed", source_meta["sha256"]),
        ("seed", json.loads(fresh.metadata_path.read_text())["sha256"]),
    ]
    faces = [np.full((48, 48), v, np.uint8) for v in (30, 120, 220)] + [np.eye(48, dtype=np.uint8) * 255]
    members = [KerasClassifier(model=str(p), precision="float32") for p in (tmp_path / "out", fresh.out)]
    expected_probs = np.mean([m.predict_proba(np.stack(faces)[..., None] / 255.0) for m in members], axis=0)
    got = KerasClassifier(model=str(ens.out), precision="float32").predict_proba(np.stack(faces)[..., None] / 255.0)
    np.testing.assert_allclose(got, expected_probs, atol=1e-5)
    assert EmotionRecognizer(classifier=str(ens.out)).labels == ("happy", "sad", "surprise")
    # in bfloat16 the members' softmaxes and the average stay float32
    twin = bfloat16_twin(KerasClassifier(model=str(ens.out)).keras_model)
    policies = {layer.name: layer.dtype_policy.name for layer in twin.layers}
    assert policies["m1_probs"] == policies["m2_probs"] == policies["probs"] == "float32"
    assert policies["m1_block1_conv1"] == "bfloat16"
    # a model with other labels or another architecture is refused before training
    with pytest.raises(ModelLoadError, match="labels"):
        train(cfg.model_copy(update={**start, "labels": ["sad", "happy", "surprise"]}))
    with pytest.raises(ModelLoadError, match="'seed' model"):
        train(cfg.model_copy(update={**start, "arch": "fernet"}))
    with pytest.raises(ModelLoadError, match="labels"):
        train(cfg.model_copy(update={"out": tmp_path / "bad", "ensemble_of": [str(ens.out), "fernet_fer7"]}))


@pytest.mark.slow
def test_averaged_model_measures_batch_norm_statistics_on_the_training_data(tmp_path: Path) -> None:
    train_root = _make_folders(tmp_path / "train", per_class=16)
    cfg = _folder_config(train_root, tmp_path / "a", arch="fernet", epochs=1, augment={"enabled": False})
    first = train(cfg)
    second = train(cfg.model_copy(update={"out": tmp_path / "b", "seed": 2}))
    avg = train(cfg.model_copy(update={"out": tmp_path / "avg", "average_of": [str(first.out), str(second.out)]}))
    model = KerasClassifier(model=str(avg.out)).keras_model
    # the first batch-norm layer's running mean is the mean of its inputs over the training images
    images = load_class_folders(train_root, ["happy", "sad", "surprise"], size=48).images.astype(np.float32) / 255.0
    conv = keras.Model(model.input, model.get_layer("block1_conv1").output)
    expected = np.asarray(conv(images, training=False)).mean(axis=(0, 1, 2))
    moving_mean = np.asarray(model.get_layer("block1_bn1").moving_mean)
    np.testing.assert_allclose(moving_mean, expected, rtol=1e-3, atol=1e-5)
    # ... not the mean of the two models' statistics
    means = [KerasClassifier(model=str(r.out)).keras_model.get_layer("block1_bn1").moving_mean for r in (first, second)]
    assert not np.allclose(moving_mean, np.mean([np.asarray(m) for m in means], axis=0), rtol=1e-2)


@pytest.mark.slow
def test_distillation_mixes_a_teachers_probabilities_into_the_targets(tmp_path: Path) -> None:
    train_root = _make_folders(tmp_path / "train", per_class=8)
    teacher = train(_folder_config(train_root, tmp_path / "teacher", arch="seed", epochs=1))
    fields = {"teacher": [str(teacher.out)], "teacher_weight": 0.25, "augment": {"enabled": False}}
    cfg = _folder_config(train_root, tmp_path / "student", arch="fernet", epochs=1, **fields)
    ds = load_class_folders(train_root, ["happy", "sad", "surprise"], size=48)
    # the teacher's probabilities: the mean over each image and its mirror image
    soft = teacher_targets(cfg.teacher or [], cfg, ds)
    model = KerasClassifier(model=str(teacher.out), precision="float32")
    x = ds.images.astype(np.float32) / 255.0
    np.testing.assert_allclose(soft, (model.predict_proba(x) + model.predict_proba(x[:, :, ::-1])) / 2, atol=1e-5)
    # each training target is a quarter teacher, three quarters label (the label still dominates)
    (batch,) = list(make_dataset(ds, cfg, training=True, soft_targets=soft))  # 24 images: one batch of 16
    y = np.asarray(batch[1])
    recovered = (y - 0.75 * np.eye(3)[y.argmax(axis=1)]) / 0.25
    assert np.abs(recovered[:, None] - soft[None]).max(axis=2).min(axis=1).max() < 1e-5
    with pytest.raises(ValueError, match="soft_targets has shape"):
        make_dataset(ds, cfg, training=True, soft_targets=soft[:5])
    # a run with a teacher records it in the metadata; a teacher with other labels is refused
    student = train(cfg)
    lineage = json.loads(student.metadata_path.read_text())["training"]["teacher"]
    assert [m["sha256"] for m in lineage] == [json.loads(teacher.metadata_path.read_text())["sha256"]]
    with pytest.raises(ModelLoadError, match="labels"):
        train(cfg.model_copy(update={"teacher": ["fernet_fer7"]}))
    with pytest.raises(ValueError, match="teacher distils"):
        TrainConfig(data=train_root, teacher=["a"], ensemble_of=["a", "b"])


def test_augmentation_without_geometric_changes_leaves_faces_sharp() -> None:
    # the last training cycle of the bundled model (fernet_fer7_cycle4.yaml) relies on this: an
    # image left unwarped (geometric_prob) or augmented with rotation, zoom and shift at 0 keeps its
    # pixels exactly (a flip at most), it is not resampled
    keras.utils.set_random_seed(7)
    faces = np.random.default_rng(7).uniform(0.0, 1.0, (8, 48, 48, 1)).astype(np.float32)
    flips_only = AugmentConfig(rotation=0, zoom=0, shift=0, brightness=0, contrast=0, erase_prob=0)
    out = np.asarray(augment_batch(faces, flips_only))

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.allclose(a, b, rtol=0.0, atol=1e-5))  # a resampling changes random texture far more

    for face, image in zip(faces, out, strict=True):
        assert same(image, face) or same(image, face[:, ::-1])
    assert sum(same(image, face[:, ::-1]) for face, image in zip(faces, out, strict=True)) in range(1, 8)
    shifted = np.asarray(augment_batch(faces, flips_only.model_copy(update={"flip": False, "shift": 0.1})))
    assert not any(same(image, face) for face, image in zip(faces, shifted, strict=True))
    some = flips_only.model_copy(update={"flip": False, "shift": 0.1, "rotation": 12, "geometric_prob": 0.5})
    kept = [same(image, face) for face, image in zip(faces, np.asarray(augment_batch(faces, some)), strict=True)]
    assert 0 < sum(kept) < len(kept)  # about half are warped, the others keep their pixels
    everything = np.asarray(augment_batch(faces, AugmentConfig()))
    assert everything.shape == faces.shape and everything.min() >= 0.0 and everything.max() <= 1.0
    assert np.array_equal(np.asarray(augment_batch(faces, AugmentConfig(enabled=False))), faces)


def test_warp_moves_rotates_and_zooms_as_documented() -> None:
    dot = np.zeros((1, 48, 48, 1), np.float32)
    dot[0, 24, 40] = 1.0  # right of the centre (23.5, 23.5)

    def where(image: Any) -> tuple[int, int]:
        row, col = np.unravel_index(int(np.argmax(np.asarray(image)[0, ..., 0])), (48, 48))
        return int(row), int(col)

    assert np.allclose(np.asarray(warp(dot)), dot)
    assert where(warp(dot, shift=(2.0, 0.0))) == (24, 42)  # right
    assert where(warp(dot, shift=(0.0, -3.0))) == (21, 40)  # up
    assert where(warp(dot, rotation=90.0)) == (7, 24)  # counter-clockwise: from the right to the top
    assert where(warp(dot, zoom=1.25)) == (24, 44)  # zoomed in: away from the centre
    assert np.asarray(warp(np.ones((3, 48, 48, 1)), rotation=6.0, zoom=0.9)).min() > 0.999  # borders reflected


@pytest.mark.parametrize(
    "recipe", sorted((Path(fer_sdk.__file__).parent / "train" / "recipes").glob("*.yaml")), ids=lambda p: p.name
)
def test_bundled_recipes_are_valid_configs(recipe: Path) -> None:
    cfg = TrainConfig.from_file(recipe, data="/data")
    assert cfg.labels in ("fer7", "fer6") and cfg.arch in ("fernet", "seed")


def test_config_file_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("data: /data\narch: seed\nlabels: fer6\nepochs: 3\n")
    cfg = TrainConfig.from_file(path, epochs=5)
    assert (cfg.arch, cfg.labels, cfg.epochs) == ("seed", "fer6", 5)
    path.write_text("data: /data\nepoch: 3\n")
    with pytest.raises(ValueError, match="epoch"):
        TrainConfig.from_file(path)


def test_command_line_options_over_a_config_file(tmp_path: Path) -> None:
    import argparse

    from fer_sdk.cli.train import add_train_arguments, config_from_args

    path = tmp_path / "cfg.json"
    path.write_text('{"data": "/data", "arch": "seed", "epochs": 3}')
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    args = parser.parse_args(
        [
            "--config",
            str(path),
            "--epochs",
            "7",
            "--labels",
            "happy,sad",
            "--val-split",
            "none",
            "--no-augment",
            "--init-from",
            "fernet_fer7",
        ]
    )
    cfg = config_from_args(args)
    assert (cfg.arch, cfg.epochs, cfg.labels, cfg.val_split, cfg.augment.enabled, cfg.init_from) == (
        "seed",
        7,
        ["happy", "sad"],
        None,
        False,
        "fernet_fer7",
    )

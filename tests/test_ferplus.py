"""FER+ (ten human votes per face): loaders, label modes, training on votes, decision rules, evaluation."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from conftest import ROOT
from fer_sdk import DatasetError, EmotionRecognizer, ModelLoadError
from fer_sdk.builtin.keras_cnn import KerasClassifier
from fer_sdk.cli.train import add_train_arguments, config_from_args
from fer_sdk.datasets import read_ferplus, read_ferplus_csv
from fer_sdk.decision import rebalance
from fer_sdk.evaluation import VoteEvaluationReport, evaluate, evaluate_votes
from fer_sdk.labels import FER7
from fer_sdk.metrics import vote_metrics
from fer_sdk.train import TrainConfig, train
from fer_sdk.train.ferplus import ferplus_dataset, vote_targets
from fer_sdk.train.pipeline import load_training_data, make_dataset

FERPLUS = ROOT.parent / "shared" / "datasets" / "ferplus"
VOTE_KEYS = {"vote_accuracy", "majority_accuracy", "balanced_accuracy", "human_agreement", "ece", "n"}

# neutral, happy, surprise, sad, angry, disgust, fear, contempt, unknown, NF
FACES = [
    [0, 8, 2, 0, 0, 0, 0, 0, 0, 0],  # happy (majority); surprise 2
    [4, 0, 0, 4, 2, 0, 0, 0, 0, 0],  # neutral 4 / sad 4 / angry 2: no majority
    [0, 0, 0, 0, 0, 0, 0, 1, 9, 0],  # unknown: left out
    [1, 0, 0, 0, 0, 0, 0, 6, 0, 3],  # contempt (the neutral vote is stray): an 8-label face only
    [0, 0, 7, 0, 0, 0, 2, 0, 0, 1],  # surprise 7 of 9 once the stray not-a-face vote is dropped, fear 2
    [0, 0, 0, 0, 6, 4, 0, 0, 0, 0],  # angry, disgust 4
]
FER2013 = ["happy", "sad", "neutral", "disgust", "fear", "angry"]


def _face(value: int) -> np.ndarray:
    img = np.full((48, 48), value, np.uint8)
    cv2.circle(img, (24, 24), 10 + value % 7, int(255 - value), -1)
    return img


def make_ferplus(root: Path, split: str = "FER2013Valid", copies: int = 1) -> Path:
    """A FER+ folder layout of the six faces above (``copies`` times), with fer2013_labels.csv."""
    folder = root / split
    folder.mkdir(parents=True, exist_ok=True)
    rows, labels = [], []
    for c in range(copies):
        for i, votes in enumerate(FACES):
            name = f"fer{c * len(FACES) + i:07d}.png"
            cv2.imwrite(str(folder / name), _face(20 + 35 * i + c))
            rows.append([name, "(0, 0, 48, 48)", *votes])
            labels.append([split, name, FER2013[i], f"x/{name}"])
    with (folder / "label.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    table = root / "fer2013_labels.csv"
    new = not table.exists()
    with table.open("a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["split", "file", "fer2013_label", "fer2013_file"])
        w.writerows(labels)
    return root


def test_vote_targets_follow_the_ferplus_label_modes() -> None:
    votes = np.array(FACES, dtype=np.float32)
    names = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    ce, keep = vote_targets(votes, names, "crossentropy")
    assert keep.tolist() == [True, True, False, False, True, True]  # unknown and contempt tops left out
    np.testing.assert_allclose(ce[0], [0, 0, 0, 0.8, 0, 0.2, 0])
    np.testing.assert_allclose(ce[1], [0.2, 0, 0, 0, 0.4, 0, 0.4])
    np.testing.assert_allclose(ce[4], [0, 0, 2 / 9, 0, 0, 7 / 9, 0], rtol=1e-6)
    np.testing.assert_allclose(ce.sum(axis=1), keep.astype(float), atol=1e-6)
    maj, mkeep = vote_targets(votes, names, "majority")
    assert mkeep.tolist() == [True, False, False, False, True, True]  # 5 of 10 is no majority
    np.testing.assert_array_equal(maj[4], [0, 0, 0, 0, 0, 1, 0])
    prob, _ = vote_targets(votes, names, "probability")
    np.testing.assert_array_equal(prob, ce)
    eight, ekeep = vote_targets(votes, (*names, "contempt"), "crossentropy")
    assert ekeep[3] and eight[3, -1] == pytest.approx(1.0)  # 6 contempt, the single neutral vote dropped
    assert eight[3, 6] == 0.0
    kept, _ = vote_targets(votes, (*names, "contempt"), "crossentropy", drop_single=False)
    assert kept[3, 6] == pytest.approx(1 / 7)  # the single neutral vote kept
    with pytest.raises(DatasetError, match="label mode"):
        vote_targets(votes, names, "multi")  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="not FER\\+ emotions"):
        vote_targets(votes, ("happy", "bored"), "majority")


def test_folder_layout_reads_images_votes_and_fer2013_labels(tmp_path: Path) -> None:
    root = make_ferplus(tmp_path)
    raw = read_ferplus(root, "FER2013Valid")
    assert len(raw) == 6 and raw.images.shape == (6, 48, 48, 1) and raw.votes.shape == (6, 10)
    assert raw.fer2013.tolist() == [3, 4, 6, 1, 2, 0]  # FER7 indices of FER2013
    np.testing.assert_array_equal(raw.images[2, :, :, 0], _face(90))
    mixed = ferplus_dataset(raw, "fer7", "crossentropy", fer2013_weight=0.5)
    assert len(mixed) == 4 and mixed.targets is not None
    # face 1: votes neutral 0.4, sad 0.4, angry 0.2 and its FER2013 label sad: 0.5 * votes + 0.5 * one-hot
    np.testing.assert_allclose(mixed.targets[1][[0, 4, 6]], [0.1, 0.7, 0.2], atol=1e-6)
    assert mixed.names[mixed.labels[1]] == "sad"
    # fer2013_weight_split: FER2013's label decides where the voters split (face 1), nowhere else
    split = ferplus_dataset(raw, "fer7", "crossentropy", fer2013_weight=0.0, fer2013_weight_split=1.0)
    votes_only = ferplus_dataset(raw, "fer7", "crossentropy")
    assert split.targets is not None and votes_only.targets is not None
    np.testing.assert_allclose(split.targets[1], np.eye(7)[FER7.index("sad")])
    np.testing.assert_allclose(np.delete(split.targets, 1, axis=0), np.delete(votes_only.targets, 1, axis=0))
    with pytest.raises(DatasetError, match="fer2013_weight_split must be in"):
        ferplus_dataset(raw, "fer7", "crossentropy", fer2013_weight_split=1.5)
    eight = ferplus_dataset(raw, "ferplus8", "majority")
    assert eight.names[-1] == "contempt" and "contempt" in [eight.names[i] for i in eight.labels]
    with pytest.raises(DatasetError, match=r"no label\.csv"):
        read_ferplus(root, "FER2013Test")
    (root / "FER2013Valid" / "fer0000002.png").unlink()
    with pytest.raises(DatasetError, match=r"fer0000002\.png"):
        read_ferplus(root, "FER2013Valid")


def _write_csv_pair(tmp_path: Path, usage_b: str = "PublicTest", extra: bool = False) -> tuple[Path, Path]:
    plus, base = tmp_path / "fer2013new.csv", tmp_path / "fer2013.csv"
    header = ["Usage", "Image name", "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear",
              "contempt", "unknown", "NF"]  # fmt: skip
    ids = {"angry": 0, "disgust": 1, "fear": 2, "happy": 3, "sad": 4, "surprise": 5, "neutral": 6}
    with plus.open("w", newline="") as fa, base.open("w", newline="") as fb:
        wa, wb = csv.writer(fa), csv.writer(fb)
        wa.writerow(header)
        wb.writerow(["emotion", "pixels", "Usage"])
        for i, votes in enumerate(FACES):
            usage = "Training" if i < 2 else "PublicTest"
            name = "" if i == 5 else f"fer{i:07d}.png"  # the last row: a face FER+ dropped
            wa.writerow([usage, name, *votes])
            pixels = " ".join(str(v) for v in _face(20 + 35 * i).ravel())
            wb.writerow([ids[FER2013[i]], pixels, usage if i != 4 else usage_b])
        if extra:
            wb.writerow([0, pixels, "PublicTest"])
    return plus, base


def test_csv_pair_is_joined_by_row_order(tmp_path: Path) -> None:
    plus, base = _write_csv_pair(tmp_path)
    train_part = read_ferplus_csv(plus, base, "FER2013Train")
    assert train_part.files == ["fer0000000.png", "fer0000001.png"]
    assert train_part.fer2013.tolist() == [3, 4]
    np.testing.assert_array_equal(train_part.images[1, :, :, 0], _face(55))
    public = read_ferplus_csv(plus, base, "PublicTest")
    assert len(public) == 3 and public.votes[2].tolist() == FACES[4]  # the dropped face is skipped
    (tmp_path / "order").mkdir()
    bad_plus, bad_base = _write_csv_pair(tmp_path / "order", usage_b="Training")
    with pytest.raises(DatasetError, match="not in the same order"):
        read_ferplus_csv(bad_plus, bad_base, None)
    (tmp_path / "long").mkdir()
    long_plus, long_base = _write_csv_pair(tmp_path / "long", extra=True)
    with pytest.raises(DatasetError, match="different numbers of rows"):
        read_ferplus_csv(long_plus, long_base, None)


def test_training_pipeline_uses_vote_targets_sampling_and_balancing(tmp_path: Path) -> None:
    root = make_ferplus(tmp_path, "FER2013Train", copies=20)
    make_ferplus(tmp_path, "FER2013Valid")
    cfg = TrainConfig(data=root, train_split="FER2013Train", val_split="FER2013Valid", batch_size=20, seed=3)
    train_ds, val_ds = load_training_data(cfg)
    assert len(train_ds) == 80 and val_ds is not None and len(val_ds) == 4
    y = np.concatenate([b[1].numpy() for b in make_dataset(train_ds, cfg, training=True)])
    assert sorted({round(float(v), 3) for v in y.ravel()}) == [0, 0.2, 0.222, 0.4, 0.6, 0.778, 0.8]  # soft
    sampled = cfg.model_copy(update={"label_mode": "probability"})
    ds, _ = load_training_data(sampled)
    assert ds.sample_targets
    y = np.concatenate([b[1].numpy() for b in make_dataset(ds, sampled, training=True)])
    assert set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(axis=1) == 1)  # one label drawn per face
    assert np.isclose(np.asarray(ds.targets)[:, 3], 0.8).sum() == 20
    balanced = cfg.model_copy(update={"sampling": "balanced", "label_mode": "majority"})
    ds, _ = load_training_data(balanced)
    labels = np.concatenate([np.argmax(b[1].numpy(), axis=1) for b in make_dataset(ds, balanced, training=True)])
    counts = np.bincount(labels, minlength=7)[[3, 5, 0]]  # happy, surprise, angry: 20 each, drawn alike
    assert len(labels) == 60 and counts.min() >= 8
    # --fer2013-weight-split: the 20 copies of the face the voters split on learn its FER2013 label (sad)
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    split = ["--train-split", "FER2013Train", "--val-split", "FER2013Valid"]
    args = parser.parse_args(["--data", str(root), "--fer2013-weight-split", "1", *split])
    ds, _ = load_training_data(config_from_args(args))
    assert ds.targets is not None and (np.asarray(ds.targets).max(axis=1) == 1.0).sum() == 20
    assert (ds.labels == FER7.index("sad")).sum() == 20
    with pytest.raises(ValidationError, match="fer2013_weight_split"):
        TrainConfig(data=root, fer2013_weight_split=1.5)


def test_logit_adjusted_loss_matches_its_definition() -> None:
    from fer_sdk.train.objective import make_loss

    cfg = TrainConfig(data=Path("."), logit_adjustment=1.0, label_smoothing=0.0)
    prior = np.array([0.7, 0.2, 0.1])
    loss = make_loss(cfg, prior)
    probs = np.array([[0.5, 0.3, 0.2]], np.float32)
    target = np.array([[0.0, 0.0, 1.0]], np.float32)
    adjusted = np.log(probs) + np.log(prior)
    expected = -(adjusted[0, 2] - np.log(np.exp(adjusted).sum()))
    assert float(loss(target, probs)) == pytest.approx(expected, rel=1e-4)
    plain = make_loss(cfg.model_copy(update={"logit_adjustment": 0.0}), prior)
    assert float(plain(target, probs)) == pytest.approx(-np.log(0.2), rel=1e-4)


@pytest.mark.slow
def test_an_eight_label_model_trained_on_votes_runs_end_to_end(tmp_path: Path, astronaut: np.ndarray) -> None:
    root = make_ferplus(tmp_path, "FER2013Train", copies=8)
    make_ferplus(tmp_path, "FER2013Valid")
    cfg = TrainConfig(
        data=root,
        train_split="FER2013Train",
        val_split="FER2013Valid",
        labels="ferplus8",
        arch="seed",
        epochs=1,
        batch_size=16,
        precision="float32",
        out=tmp_path / "out",
        logit_adjustment=0.5,
    )
    report = train(cfg)
    meta = json.loads(report.metadata_path.read_text())
    assert meta["labels"][-1] == "contempt" and set(meta["class_prior"]) == set(meta["labels"])
    assert "label_mode crossentropy" in meta["training_data"]["targets"]
    assert sum(meta["class_prior"].values()) == pytest.approx(1.0, abs=1e-4)
    rec = EmotionRecognizer(classifier=str(tmp_path / "out"), decision="balanced")
    assert rec.labels == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "contempt")
    faces = rec.predict(astronaut)
    assert faces and set(faces[0].scores) == set(rec.labels)
    assert sum(faces[0].scores.values()) == pytest.approx(1.0, abs=1e-3)
    result = evaluate_votes(root, "FER2013Valid", tmp_path / "out")
    assert result.n == 5  # the contempt face counts for 8 labels
    more = train(cfg.model_copy(update={"epochs": 2, "resume": True}))  # the adjusted loss survives a resume
    assert [h.epoch for h in more.history] == [1, 2]


def test_decision_rule_balanced_divides_by_the_class_prior(astronaut: np.ndarray) -> None:
    calibrated = KerasClassifier(decision="calibrated", precision="float32")
    balanced = KerasClassifier(decision="balanced", precision="float32")
    prior = np.array([balanced.metadata["class_prior"][n] for n in balanced.labels])
    batch = np.random.default_rng(0).random((5, 48, 48, 1), dtype=np.float32)
    p = calibrated.predict_proba(batch)
    np.testing.assert_allclose(balanced.predict_proba(batch), rebalance(p, prior), atol=1e-5)
    assert balanced.decision_rule("auto") in ("calibrated", "balanced")
    rec = EmotionRecognizer(decision="balanced", classifier_options={"precision": "float32"})
    rare = [f.scores["disgust"] for f in rec.predict(astronaut)]
    plain = [f.scores["disgust"] for f in EmotionRecognizer(decision="calibrated").predict(astronaut)]
    assert rare[0] > plain[0]  # disgust is rare a priori: balancing lifts it


def test_decision_rule_needs_a_prior_and_a_valid_name(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    preset = ROOT / "fer_sdk" / "presets" / "fernet_fer7_fer2013"
    folder.mkdir()
    (folder / "model.keras").write_bytes((preset / "model.keras").read_bytes())
    meta = json.loads((preset / "metadata.json").read_text())
    meta.pop("class_prior")
    meta.pop("decision", None)
    (folder / "metadata.json").write_text(json.dumps(meta))
    clf = KerasClassifier(model=str(folder), decision="balanced")
    with pytest.raises(ModelLoadError, match="class_prior"):
        clf.predict_proba(np.zeros((1, 48, 48, 1), np.float32))
    assert KerasClassifier(model=str(folder)).decision_rule() == "calibrated"  # auto without a prior
    with pytest.raises(Exception, match="decision"):
        EmotionRecognizer(decision="likely")


def test_vote_evaluation_on_a_small_layout_and_through_the_cli(tmp_path: Path) -> None:
    root = make_ferplus(tmp_path)
    report = evaluate_votes(root, "FER2013Valid", "fernet_fer7_fer2013", classifier_options={"decision": "calibrated"})
    assert isinstance(report, VoteEvaluationReport)
    assert report.n == 4 and report.n_fer2013 == 6 and report.decision == "calibrated"
    assert "vote accuracy" in report.table()
    by_label = evaluate(root, "FER2013Valid", "fernet_fer7_fer2013", classifier_options={"decision": "calibrated"})
    assert by_label.n == 6 and by_label.accuracy == pytest.approx(report.fer2013_accuracy)
    png = tmp_path / "rel.png"
    out = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "evaluate", "--data", str(root), "--split", "FER2013Valid", "--json",
         "--model", "fernet_fer7_fer2013", "--decision", "balanced", "--reliability-png", str(png)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert VOTE_KEYS | {"fer2013_accuracy"} <= set(data) and data["decision"] == "balanced"
    assert png.stat().st_size > 5000
    bad = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "evaluate", "--data", str(root), "--split", "none",
         "--reliability-png", str(png)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "FER+ split" in bad.stderr


def test_vote_metrics_reference_values() -> None:
    votes = np.array(FACES, dtype=np.float32)
    names = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    perfect = np.zeros((6, 7))
    perfect[[0, 1, 4, 5], [3, 6, 5, 0]] = 1.0  # the most-voted emotion, all in
    m = vote_metrics(perfect, votes, names, np.array([3, 4, 6, 1, 2, 0]))
    assert m["n"] == 4 and m["vote_accuracy"] == 1.0 and m["balanced_accuracy"] == 1.0
    assert m["n_majority"] == 3 and m["majority_accuracy"] == 1.0
    # FER2013 labels, on all six faces: right on faces 0 (happy) and 5 (angry) only
    assert m["fer2013_accuracy"] == pytest.approx(2 / 6)
    # the share of the emotion votes for the top label: 0.8, 4/10 (neutral wins the tie), 7/9, 0.6
    shares = [0.8, 0.4, 7 / 9, 0.6]
    assert m["human_agreement"] == pytest.approx(np.mean(shares))
    assert m["ece"] == pytest.approx(1 - np.mean(shares))  # the confidence is 1 on every face


@pytest.mark.dataset
@pytest.mark.dataset
def test_real_ferplus_valid_split_and_the_bundled_models() -> None:
    if not (FERPLUS / "FER2013Valid" / "label.csv").is_file():
        pytest.skip(f"FER+ not found at {FERPLUS} (the FER+ folder layout with label.csv per split)")
    raw = read_ferplus(FERPLUS, "FER2013Valid")
    assert len(raw) == 3579 and (raw.fer2013 >= 0).all()
    report = evaluate_votes(FERPLUS, "FER2013Valid", classifier_options={"precision": "float32"})
    assert report.n == 3529
    old = evaluate_votes(FERPLUS, "FER2013Valid", "fernet_fer7_fer2013", classifier_options={"decision": "calibrated"})
    assert old.vote_accuracy == pytest.approx(0.663, abs=0.01)  # the measurement of the old model
    assert report.vote_accuracy > old.vote_accuracy + 0.05
    float32 = {"precision": "float32"}
    on_votes_pixels = evaluate(FERPLUS, "FER2013Valid", "fernet_fer7_fer2013", classifier_options=float32)
    assert on_votes_pixels.n == 3579 and on_votes_pixels.accuracy == pytest.approx(0.674, abs=0.01)

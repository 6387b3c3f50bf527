"""The fer-sdk command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from conftest import IMAGES


def fer_sdk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fer_sdk", *args], capture_output=True, text=True, cwd=cwd)


def test_predict_prints_one_line_per_face() -> None:
    res = fer_sdk("predict", str(IMAGES / "astronaut.png"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "astronaut.png: face 0 box=(" in lines[0] and " happy " in lines[0]


def test_predict_json_and_annotate(tmp_path: Path) -> None:
    out = tmp_path / "annotated.png"
    res = fer_sdk(
        "predict", str(IMAGES / "astronaut.png"), str(IMAGES / "grace_hopper.jpg"), "--json", "--annotate", str(out)
    )
    assert res.returncode == 0, res.stderr
    objs = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert [o["image"].rsplit("/", 1)[-1] for o in objs] == ["astronaut.png", "grace_hopper.jpg"]
    assert objs[0]["emotion"] == "happy" and set(objs[0]["box"]) >= {"x", "y", "w", "h", "score"}
    assert abs(sum(objs[0]["scores"].values()) - 1) < 1e-6
    for name, shape in (("astronaut", (512, 512, 3)), ("grace_hopper", (600, 512, 3))):
        img = cv2.imread(str(tmp_path / f"annotated-{name}.png"))
        assert img is not None and img.shape == shape


def test_unreadable_files_are_reported_and_the_rest_processed(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes((IMAGES / "astronaut.png").read_bytes()[:200])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    missing = tmp_path / "missing.png"
    res = fer_sdk("predict", str(missing), str(truncated), str(text), str(IMAGES / "astronaut.png"))
    assert res.returncode == 1
    assert f"{missing}: no such file" in res.stderr
    assert f"{truncated}: not a readable image" in res.stderr
    assert f"{text}: not a readable image" in res.stderr
    assert "astronaut.png: face 0" in res.stdout


def test_image_without_face(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.zeros((64, 64), np.uint8))
    res = fer_sdk("predict", str(blank))
    assert res.returncode == 0 and res.stdout == "" and "no face found" in res.stderr


def test_unknown_detector_is_a_usage_error() -> None:
    res = fer_sdk("predict", str(IMAGES / "astronaut.png"), "--detector", "nope")
    assert res.returncode == 2 and "available detectors: " in res.stderr
    assert "haar" in res.stderr.split("available detectors: ")[1].split(", ")


def test_plugins_json() -> None:
    res = fer_sdk("plugins", "--json")
    comps = json.loads(res.stdout)
    assert {c["name"] for c in comps["detectors"]} >= {"haar"}
    assert all({"name", "distribution"} <= set(c) for kind in comps.values() for c in kind)


def test_evaluate_json_tta_and_pictures(tmp_path: Path, fer2013: Path) -> None:
    png, bars = tmp_path / "confusion.png", tmp_path / "per-class.png"
    res = fer_sdk(
        "evaluate", "--data", str(fer2013), "--split", "PublicTest", "--json", "--tta", "--precision", "float32",
        "--confusion-png", str(png), "--per-class-png", str(bars),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    # in float32 the accuracy is exactly the one the model's metadata records
    from fer_sdk.builtin.keras_cnn import KerasClassifier

    assert report["accuracy"] == KerasClassifier().metadata["metrics"]["PublicTest"]["accuracy"]
    assert {"accuracy", "per_class", "accuracy_6class", "macro_f1", "confusion", "n"} <= set(report)
    assert report["n"] == 3589 and len(report["confusion"]) == 7
    assert report["accuracy_6class"] >= report["accuracy"]
    assert report["tta_flip"]["n"] == 3589 and 0 < report["tta_flip"]["accuracy"] <= 1
    img = cv2.imread(str(png))
    assert img is not None and img.shape == (850, 900, 3)
    img = cv2.imread(str(bars))
    assert img is not None and img.shape == (400, 780, 3)

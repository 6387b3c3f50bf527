"""The fer-sdk command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

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


@pytest.mark.dataset
def test_evaluate_json_tta_and_pictures(tmp_path: Path, fer2013: Path) -> None:
    png, bars = tmp_path / "confusion.png", tmp_path / "per-class.png"
    res = fer_sdk(
        "evaluate", "--data", str(fer2013), "--split", "PublicTest", "--json", "--tta", "--precision", "float32",
        "--model", "fernet_fer7_fer2013", "--decision", "calibrated",
        "--confusion-png", str(png), "--per-class-png", str(bars),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    # in float32 the accuracy is the one the model's metadata records, to a face or two: another CPU
    # (AVX-512, AMX) sums in another order, which can move a face that sits on a near tie
    from fer_sdk.builtin.keras_cnn import KerasClassifier

    recorded = KerasClassifier(model="fernet_fer7_fer2013").metadata["metrics"]["PublicTest"]["accuracy"]
    assert report["accuracy"] == pytest.approx(recorded, abs=2.5 / 3589)
    assert {"accuracy", "per_class", "accuracy_6class", "macro_f1", "confusion", "n"} <= set(report)
    assert report["n"] == 3589 and len(report["confusion"]) == 7
    assert report["accuracy_6class"] >= report["accuracy"]
    assert report["tta_flip"]["n"] == 3589 and 0 < report["tta_flip"]["accuracy"] <= 1
    img = cv2.imread(str(png))
    assert img is not None and img.shape == (850, 900, 3)
    img = cv2.imread(str(bars))
    assert img is not None and img.shape == (400, 780, 3)


def _without_matplotlib(*args: str) -> subprocess.CompletedProcess[str]:
    """``fer-sdk ARGS`` in a Python where matplotlib cannot be imported (the README's first install)."""
    code = "import sys; sys.modules['matplotlib'] = None; from fer_sdk.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["evaluate", "--data", "no-such-data", "--confusion-png", "c.png"], "--confusion-png"),
        (["evaluate", "--data", "no-such-data", "--per-class-png", "p.png"], "--per-class-png"),
        (["featuremaps", str(IMAGES / "astronaut.png"), "--out", "maps.png"], "fer-sdk featuremaps"),
        (["timeline", "no-such-results.jsonl", "--out", "t.png"], "fer-sdk timeline"),
    ],
)
def test_options_that_need_matplotlib_say_which_extra_before_any_work(args: list[str], what: str) -> None:
    res = _without_matplotlib(*args)
    # before any work: the missing data set / results file is not reached, no model is loaded
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == [
        f"fer-sdk: error: {what} needs matplotlib, which is not installed: "
        "pip install 'fer_sdk[plots]' (in a checkout: pip install '.[plots]')"
    ]
    assert res.stdout == ""


def test_predict_a_folder_processes_the_images_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.png").write_bytes((IMAGES / "astronaut.png").read_bytes())
    (folder / "sub" / "a.jpg").write_bytes((IMAGES / "grace_hopper.jpg").read_bytes())
    (folder / "notes.txt").write_text("not an image")
    res = fer_sdk("predict", str(folder), "--json")
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(Path(r["image"]).relative_to(folder).as_posix(), r["emotion"]) for r in records] == [
        ("b.png", "happy"),
        ("sub/a.jpg", "neutral"),
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    res = fer_sdk("predict", str(empty))
    assert res.returncode == 1 and f"no image files in {empty}" in res.stderr


def test_json_gives_an_image_without_a_face_a_record_with_no_faces(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.zeros((64, 64), np.uint8))
    res = fer_sdk("predict", str(blank), str(IMAGES / "astronaut.png"), "--json")
    assert res.returncode == 0, res.stderr
    first, second = (json.loads(line) for line in res.stdout.splitlines())
    assert first == {"image": str(blank), "faces": []}
    assert second["emotion"] == "happy" and second["face"] == 0


def test_video_progress_waits_for_a_few_frames_before_estimating(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import fer_sdk.cli.video as videocli

    clock = [100.0]
    monkeypatch.setattr(videocli.time, "perf_counter", lambda: clock[0])
    progress = videocli.Progress(total=40, enabled=True)
    shown = []
    for done in range(1, 41):
        clock[0] += 3.0 if done == 1 else 0.1  # the first frame loads the model; then 10 frames/s
        progress.update(done)
        shown.append(capsys.readouterr().err.strip("\r "))
    lines = [s for s in shown if s]
    assert lines and all("fps" not in s for s in shown[:5])  # no estimate from the first few frames
    estimates = [s for s in lines if "fps" in s]
    assert estimates and all(" 10.0 fps" in s for s in estimates), lines  # not 0.3 fps from the model's loading
    assert estimates[0].startswith("frames ") and estimates[0].endswith("s left")

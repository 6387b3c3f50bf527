"""fer_sdk.batch and ``fer-sdk batch`` with the local engine: the data set, resuming, bad input, missing extras."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from batch_corpus import STATUS, VIDEO_FRAMES, make_corpus

from fer_sdk import EmotionRecognizer, FerSdkError
from fer_sdk.batch import FACE_COLUMNS, SOURCE_COLUMNS, expand_sources, run_batch
from fer_sdk.cli import main

pd = pytest.importorskip("pandas", reason="the batch tests read the data set with pandas (pip install '.[test]')")
FER7 = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
BIN = Path(sys.executable).parent


def rel(df: pd.DataFrame, root: Path) -> pd.DataFrame:
    df = df.copy()
    df["source"] = [Path(s).relative_to(root).as_posix() for s in df["source"]]
    return df


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray, hopper: np.ndarray) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"), astronaut, hopper)


@pytest.fixture(scope="module")
def local_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("local") / "results"
    report = run_batch([corpus], out, chunk_size=2)
    return out, report


def test_sources_expand_folders_patterns_and_lists(corpus: Path, tmp_path: Path) -> None:
    found, empty = expand_sources([corpus])
    assert {Path(s.path).relative_to(corpus).as_posix() for s in found} == set(STATUS)
    assert {s.kind for s in found if s.path.endswith(".mp4")} == {"video"}
    assert empty == []
    assert expand_sources([corpus / "nobody"]) == ([], [str(corpus / "nobody")])  # an empty folder given is named
    pattern, _ = expand_sources([str(corpus / "**" / "*.jpg")])
    assert sorted(Path(s.path).name for s in pattern) == ["corrupt.jpg", "hopper.jpg", "no_face.jpg"]
    listing = tmp_path / "list.txt"
    listing.write_text(f"# a comment\n{corpus / 'clip.mp4'}\n\n{corpus / 'people' / 'more'}\n", encoding="utf-8")
    listed, _ = expand_sources([listing, corpus / "clip.mp4"])  # duplicates are dropped
    assert [Path(s.path).name for s in listed] == ["clip.mp4", "hopper.jpg"]


def test_a_link_back_up_the_tree_is_walked_once(tmp_path: Path, astronaut: np.ndarray) -> None:
    (tmp_path / "a").mkdir()
    cv2.imwrite(str(tmp_path / "a" / "face.png"), astronaut)
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    found, _ = expand_sources([tmp_path / "a"])
    assert [Path(s.path).name for s in found] == ["face.png"]


def test_parquet_data_set_has_a_row_per_face_and_per_source(local_run: tuple[Path, object], corpus: Path) -> None:
    out, report = local_run
    faces = rel(pd.read_parquet(out / "faces"), corpus)
    sources = rel(pd.read_parquet(out / "sources"), corpus)
    assert list(faces.columns) == [*FACE_COLUMNS, *FER7]
    assert list(sources.columns) == list(SOURCE_COLUMNS)
    assert dict(zip(sources["source"], sources["status"], strict=True)) == STATUS
    errors = sources.set_index("source")["error"]
    assert errors["people/corrupt.jpg"] == "not a readable image"
    assert errors["people/empty.png"] == "not a readable image"
    assert (report.ok, report.no_face, report.error, report.processed) == (3, 1, 2, 6)  # type: ignore[attr-defined]
    # every face row belongs to a source with faces, and the per-source counts add up
    counts = faces.groupby("source").size()
    assert counts.to_dict() == sources[sources.faces > 0].set_index("source")["faces"].to_dict()
    scores = faces[list(FER7)].to_numpy()
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)
    assert (faces["emotion"] == faces[list(FER7)].idxmax(axis=1)).all()


def test_images_match_predict(local_run: tuple[Path, object], corpus: Path, recognizer: EmotionRecognizer) -> None:
    out, _ = local_run
    faces = rel(pd.read_parquet(out / "faces"), corpus)
    for name in ("people/astronaut.png", "people/more/hopper.jpg"):
        expected = recognizer.predict(cv2.imread(str(corpus / name)))
        rows = faces[faces.source == name].sort_values("face")
        assert len(rows) == len(expected) >= 1
        for (_, row), face in zip(rows.iterrows(), expected, strict=True):
            assert (row.x, row.y, row.w, row.h) == (face.box.x, face.box.y, face.box.w, face.box.h)
            assert row.emotion == face.emotion
            assert row.kind == "image" and row.frame == 0 and pd.isna(row.time) and pd.isna(row.track_id)
            np.testing.assert_allclose([row[k] for k in FER7], [face.scores[k] for k in FER7], atol=1e-4)


def test_video_rows_follow_stream(local_run: tuple[Path, object], corpus: Path, recognizer: EmotionRecognizer) -> None:
    out, _ = local_run
    faces = rel(pd.read_parquet(out / "faces"), corpus)
    video = faces[faces.source == "clip.mp4"]
    expected = list(recognizer.stream(corpus / "clip.mp4"))
    assert len(expected) == VIDEO_FRAMES
    assert len(video) == sum(len(r.faces) for r in expected)
    assert list(video["frame"]) == sorted(video["frame"])  # in frame order
    for result in expected:
        rows = video[video.frame == result.index]
        assert rows["track_id"].tolist() == [f.track_id for f in result.faces]
        assert rows["emotion"].tolist() == [f.emotion for f in result.faces]
        assert rows["time"].tolist() == pytest.approx([result.timestamp] * len(rows))
    # both faces of the clip keep their track over the 12 frames
    assert video.groupby("track_id").size().to_dict() == {0: VIDEO_FRAMES, 1: VIDEO_FRAMES}


def test_duckdb_reads_the_folders(local_run: tuple[Path, object]) -> None:
    duckdb = pytest.importorskip("duckdb", reason="pip install '.[test]' installs DuckDB")
    out, _ = local_run
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT status, count(*) FROM read_parquet('{out}/sources/*.parquet') GROUP BY status ORDER BY status"
    ).fetchall()
    assert rows == [("error", 2), ("no_face", 1), ("ok", 3)]
    (n,) = con.execute(f"SELECT count(*) FROM read_parquet('{out}/faces/*.parquet')").fetchone()
    assert n == len(pd.read_parquet(out / "faces"))


def test_rerun_skips_complete_sources(local_run: tuple[Path, object], corpus: Path) -> None:
    out, _ = local_run
    parts = sorted(p.name for p in (out / "sources").iterdir())
    again = run_batch([corpus], out)
    assert (again.skipped, again.processed, again.ok, again.error) == (6, 0, 3, 2)
    assert sorted(p.name for p in (out / "sources").iterdir()) == parts


def test_new_sources_are_added_and_options_are_checked(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_batch([corpus / "people" / "astronaut.png"], out)
    assert (first.processed, first.ok) == (1, 1)
    more = run_batch([corpus / "people" / "astronaut.png", corpus / "people" / "no_face.jpg"], out)
    assert (more.skipped, more.processed, more.ok, more.no_face) == (1, 1, 1, 1)
    with pytest.raises(FerSdkError, match="other settings"):
        run_batch([corpus / "clip.mp4"], out, every=2)
    with pytest.raises(FerSdkError, match="other format"):
        run_batch([corpus / "clip.mp4"], out, format="jsonl")


def test_jsonl_records_are_those_of_predict_json(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    image = corpus / "people" / "astronaut.png"
    report = run_batch([image, corpus / "clip.mp4"], out, format="jsonl", every=3)
    assert (report.ok, report.frames) == (2, 1 + VIDEO_FRAMES // 3)
    records = [json.loads(line) for p in sorted((out / "faces").glob("*.jsonl")) for line in p.open()]
    assert main(["predict", "--json", str(image)]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    got = [r for r in records if "image" in r]
    assert [r["image"] for r in got] == [str(image)] and [r["face"] for r in got] == [p["face"] for p in printed]
    assert got[0]["box"] == printed[0]["box"] and got[0]["emotion"] == printed[0]["emotion"]
    frames = [r for r in records if "video" in r]
    assert [r["index"] for r in frames] == [0, 3, 6, 9]
    assert all({"index", "timestamp", "faces"} <= set(r) for r in frames)
    sources = [json.loads(line) for p in (out / "sources").glob("*.jsonl") for line in p.open()]
    assert sorted(s["status"] for s in sources) == ["ok", "ok"]


def test_empty_folder_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(FerSdkError, match=r"nothing to process: no image or video files in .*empty"):
        run_batch([tmp_path / "empty"], tmp_path / "out")
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1
    assert "nothing to process" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "thesis.tex").write_text("mine\n", encoding="utf-8")
    with pytest.raises(FerSdkError, match="not the output folder of a batch run"):
        run_batch(["examples/images"], tmp_path / "occupied")
    assert main(["batch", "examples/images", "--out", str(tmp_path / "o"), "--detector", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["batch", "examples/images", "--out", str(tmp_path / "o"), "--workers", "2"]) == 2
    assert "--engine ray" in capsys.readouterr().err
    assert main(["batch", "examples/images", "--out", str(tmp_path / "o"), "--every", "0"]) == 2
    assert "every" in capsys.readouterr().err
    with pytest.raises(FerSdkError, match="chunk_size must be at least 1"):
        run_batch(["examples/images"], tmp_path / "o", chunk_size=0)
    assert not (tmp_path / "o").exists()


def test_missing_extras_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as it does without the extra
    assert main(["batch", "examples/images", "--out", str(tmp_path / "r"), "--engine", "ray"]) == 1
    assert "pip install 'fer_sdk[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(FerSdkError, match=r"pip install 'fer_sdk\[batch\]' \(or use --format jsonl\)"):
        run_batch(["examples/images"], tmp_path / "p")
    assert run_batch(["examples/images"], tmp_path / "j", format="jsonl").ok == 2


# interrupted runs ---------------------------------------------------------------------------------------------------
def _start_blocked_run(corpus: Path, out: Path) -> tuple[subprocess.Popen[str], int]:
    """``fer-sdk batch`` on ``corpus`` whose last source is a named pipe: the run blocks there, the others done."""
    (corpus / "zz").mkdir()
    os.mkfifo(corpus / "zz" / "pipe.png")  # the last folder's last file
    n_before = len(expand_sources([corpus])[0]) - 1
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [str(BIN / "fer-sdk"), "batch", str(corpus), "--out", str(out), "--chunk", "1", "--no-progress"]
    # Ctrl-C as in a terminal: a test run started in the background of a non-interactive shell
    # (nohup, `&`) ignores SIGINT, and a child would inherit that and never see the signal
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "sources").is_dir() and len(list((out / "sources").glob("part-*"))) == n_before:
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    time.sleep(0.5)  # the run is now waiting on the pipe
    return proc, n_before


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_interrupted_run_resumes_without_duplicates(
    sig: signal.Signals, tmp_path: Path, astronaut: np.ndarray, hopper: np.ndarray
) -> None:
    corpus = make_corpus(tmp_path / "corpus", astronaut, hopper)
    out = tmp_path / "out"
    proc, n_before = _start_blocked_run(corpus, out)
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()  # never leave a run blocked on the pipe behind a failed test
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "interrupted" in stdout and "rerun the command to resume" in stdout
    else:
        assert proc.returncode == -signal.SIGKILL
    done = pd.read_parquet(out / "sources")
    assert len(done) == n_before and "pipe.png" not in {Path(s).name for s in done.source}
    # the pipe becomes a photo; the rerun does only that one
    (corpus / "zz" / "pipe.png").unlink()
    cv2.imwrite(str(corpus / "zz" / "pipe.png"), astronaut)
    report = run_batch([corpus], out)
    assert (report.skipped, report.processed) == (n_before, 1)
    sources = pd.read_parquet(out / "sources")
    faces = pd.read_parquet(out / "faces")
    assert sources.source.is_unique and len(sources) == n_before + 1
    assert not faces.duplicated(["source", "frame", "face"]).any()
    assert faces.groupby("source").size().sum() == sources.faces.sum()
    assert not list(out.rglob(".*.tmp"))


def test_import_loads_neither_tensorflow_nor_ray_nor_pyarrow() -> None:
    code = "import sys, fer_sdk.batch, fer_sdk.cli; print(sorted({'tensorflow', 'ray', 'pyarrow'} & set(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"

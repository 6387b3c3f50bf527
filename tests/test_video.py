"""Streams and video: tracks, smoothing, the video command line, pictures, and the examples."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import ROOT, write_video
from fer_sdk import Box, EmotionRecognizer, FaceDetector, FerSdkError, Frame, InvalidBoxError, InvalidImageError
from fer_sdk.builtin.haar import HaarDetector
from fer_sdk.video import FrameResult


def _known_faces(result: FrameResult) -> dict[str, list[int]]:
    """Track ids of the boxes on the two known faces of the test video (other boxes are ignored)."""
    i = result.index % 40
    centres = {"astronaut": (141 + 4 * i, 157), "hopper": (500, 262)}
    found: dict[str, list[int]] = {"astronaut": [], "hopper": []}
    for f in result.faces:
        cx, cy = f.box.x + f.box.w / 2, f.box.y + f.box.h / 2
        for name, (x, y) in centres.items():
            if abs(cx - x) < 25 and abs(cy - y) < 25:
                found[name].append(f.track_id)
    return found


def test_stream_over_a_video_file_keeps_track_ids(recognizer: EmotionRecognizer, video: Path) -> None:
    results = list(recognizer.stream(video))
    assert [r.index for r in results] == list(range(40))
    stamps = [r.timestamp for r in results]
    assert all(s is not None for s in stamps)
    assert stamps == sorted(stamps) and abs((stamps[10] or 0) - 1.0) < 0.15  # 10 fps
    astronaut = [t for r in results[:30] for t in _known_faces(r)["astronaut"]]
    hopper = [t for r in results[:20] for t in _known_faces(r)["hopper"]]
    assert len(astronaut) >= 27 and len(set(astronaut)) == 1, astronaut  # one track throughout
    assert len(hopper) >= 15 and len(set(hopper)) == 1, hopper  # another track
    assert set(astronaut) != set(hopper)
    assert all(not r.faces for r in results[30:])
    assert all(_known_faces(r)["hopper"] == [] for r in results[20:30])


def test_every_nth_frame_and_plain_iterables(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    frames = [astronaut] * 5
    results = list(recognizer.stream(frames, every=2, fps=20.0))
    assert [(r.index, r.timestamp) for r in results] == [(0, 0.0), (2, 0.1), (4, 0.2)]
    assert [len(r.faces) for r in results] == [1, 1, 1]
    assert len({r.faces[0].track_id for r in results}) == 1
    assert [r.timestamp for r in recognizer.stream(frames[:2])] == [None, None]


def _flipping(astronaut: np.ndarray) -> list[np.ndarray]:
    """The same face alternately as it is and squeezed, so that the raw scores change from frame to frame."""
    squeezed = cv2.resize(cv2.resize(astronaut, (512, 330)), (512, 512))
    return [astronaut if i % 2 == 0 else squeezed for i in range(6)]


def test_ema_smoothing_follows_its_formula(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    results = list(recognizer.stream(_flipping(astronaut), smoothing="ema", alpha=0.5))
    labels = recognizer.labels
    ema = None
    for r in results:
        (face,) = r.faces
        assert face.raw_scores is not None
        raw = np.array([face.raw_scores[n] for n in labels])
        ema = raw if ema is None else 0.5 * raw + 0.5 * ema
        assert np.allclose([face.scores[n] for n in labels], ema / ema.sum(), atol=1e-6)
        assert face.emotion == labels[int(np.argmax(ema))]


def test_window_smoothing_averages_the_last_frames(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    results = list(recognizer.stream(_flipping(astronaut), smoothing="window", window=3))
    labels = recognizer.labels
    raws = [np.array([r.faces[0].raw_scores[n] for n in labels]) for r in results]  # type: ignore[index]
    for i, r in enumerate(results):
        mean = np.mean(raws[max(0, i - 2) : i + 1], axis=0)
        assert np.allclose([r.faces[0].scores[n] for n in labels], mean / mean.sum(), atol=1e-6)


def test_stream_errors(recognizer: EmotionRecognizer, tmp_path: Path) -> None:
    with pytest.raises(FerSdkError, match="does not exist"):
        list(recognizer.stream(tmp_path / "missing.mp4"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(FerSdkError, match="cannot open"):
        list(recognizer.stream(bad))
    with pytest.raises(InvalidImageError, match="iterable of frames"):
        list(recognizer.stream(np.zeros((10, 10), np.uint8)))
    with pytest.raises(InvalidImageError):
        list(recognizer.stream([None]))
    with pytest.raises(ValueError, match="track=True"):
        list(recognizer.stream([], smoothing="ema", track=False))


def fer_sdk_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fer_sdk", *args], capture_output=True, text=True)


def test_cli_video_to_csv_with_annotated_mp4(video: Path, tmp_path: Path) -> None:
    out, ann = tmp_path / "results.csv", tmp_path / "annotated.mp4"
    res = fer_sdk_cli("predict", str(video), "--out", str(out), "--annotate", str(ann), "--every", "2")
    assert res.returncode == 0, res.stderr
    rows = out.read_text().strip().splitlines()
    assert rows[0].startswith("frame,timestamp,track_id,x,y,w,h,emotion,confidence,angry,")
    frames = {int(r.split(",")[0]) for r in rows[1:]}
    assert frames == set(range(0, 40, 2))
    assert "track 0:" in res.stdout and "frames:" in res.stdout
    cap = cv2.VideoCapture(str(ann))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.shape == (480, 640, 3)


def test_cli_video_jsonl_then_timeline_png(video: Path, tmp_path: Path) -> None:
    out, png = tmp_path / "results.jsonl", tmp_path / "timeline.png"
    res = fer_sdk_cli("predict", str(video), "--out", str(out), "--smoothing", "ema", "--no-progress")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 40 and lines[0]["index"] == 0 and "track_id" in lines[0]["faces"][0]
    res = fer_sdk_cli("timeline", str(out), "--out", str(png))
    assert res.returncode == 0, res.stderr
    img = cv2.imread(str(png))
    assert img is not None and img.shape[1] == 1000 and img.shape[0] >= 400


def test_cli_video_interrupted_keeps_what_was_written(
    tmp_path: Path, astronaut: np.ndarray, hopper: np.ndarray
) -> None:
    long_video = write_video(tmp_path / "long.mp4", astronaut, hopper, frames=2000)
    out = tmp_path / "results.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fer_sdk", "predict", str(long_video), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell runs background jobs with SIGINT ignored, and children inherit that: undo it, as a terminal would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while time.time() < deadline and (not out.exists() or out.read_text().count("\n") < 5):
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.2)
    assert out.read_text().count("\n") >= 5, "no results within 300 s"
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("fer-sdk did not stop after Ctrl-C: " + proc.communicate()[1][-2000:]) from None
    assert proc.returncode == 130, err
    assert "interrupted" in err
    lines = out.read_text().splitlines()
    assert 5 <= len(lines) < 2000
    assert [json.loads(line)["index"] for line in lines] == list(range(len(lines)))


def test_cli_featuremaps_png(tmp_path: Path) -> None:
    png = tmp_path / "maps.png"
    res = fer_sdk_cli("featuremaps", str(ROOT / "examples/images/astronaut.png"), "--out", str(png))
    assert res.returncode == 0, res.stderr
    img = cv2.imread(str(png))
    assert img is not None and img.shape[0] > 600 and img.shape[1] > 900
    res = fer_sdk_cli("featuremaps", str(ROOT / "examples/images/astronaut.png"), "--out", str(png), "--layers", "x")
    assert res.returncode == 1 and "pooling layers are" in res.stderr


def test_feature_maps_are_the_pooling_outputs(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    from fer_sdk.figures import feature_maps

    maps = feature_maps(recognizer, astronaut[60:170, 170:280])
    assert maps["block2_pool"].shape[:2] == (12, 12) and maps["block3_pool"].shape[:2] == (6, 6)
    assert all(np.isfinite(m).all() and m.max() > 0 for m in maps.values())


def test_examples_run(video: Path, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples/video_file.py"), str(video), "--every", "4"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("frame ") == 10 and "track 0: mostly" in res.stdout
    out = tmp_path / "webcam.mp4"
    res = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples/webcam.py"),
            "--source",
            str(video),
            "--out",
            str(out),
            "--max-frames",
            "12",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "12 frames in" in res.stdout and out.stat().st_size > 1000
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "astronaut.png").write_bytes((ROOT / "examples/images/astronaut.png").read_bytes())
    (folder / "broken.jpg").write_bytes(b"nope")
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples/annotate_folder.py"), str(folder), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "skipped" in res.stderr and "astronaut.png: happy" in res.stdout
    assert cv2.imread(str(tmp_path / "out" / "astronaut.png")).shape == (512, 512, 3)


class _CountingDetector(FaceDetector):
    """The default Haar detector, recording the size of every frame it searches."""

    def __init__(self) -> None:
        self.inner = HaarDetector()
        self.sizes: list[tuple[int, int]] = []

    def detect(self, frame: Frame) -> list[Box]:
        self.sizes.append((frame.width, frame.height))
        return list(self.inner.detect(frame))


def test_detect_every_searches_near_tracks_between_whole_frame_searches(video: Path) -> None:
    det = _CountingDetector()
    rec = EmotionRecognizer(detector=det)
    results = list(rec.stream(video, detect_every=4))
    assert [r.index for r in results] == list(range(40))
    whole = [s for s in det.sizes if s == (640, 480)]
    # whole-frame searches: every 4th frame, plus the frames where no face was tracked
    assert 10 <= len(whole) < 20, len(whole)
    assert len(det.sizes) > len(whole) and all(w < 640 and h < 480 for w, h in det.sizes if (w, h) != (640, 480))
    # the same faces, with the same track ids, as searching every frame
    astronaut = [t for r in results[:30] for t in _known_faces(r)["astronaut"]]
    hopper = [t for r in results[:20] for t in _known_faces(r)["hopper"]]
    assert len(astronaut) >= 27 and len(set(astronaut)) == 1, astronaut  # followed as it drifts
    assert len(hopper) >= 15 and len(set(hopper)) == 1, hopper
    assert all(not r.faces for r in results[31:])
    # the known faces' boxes are close to those of whole-frame searches on every frame
    full = list(EmotionRecognizer().stream(video))
    for a, b in zip(results[:20], full[:20], strict=True):
        known = {t for ids in _known_faces(a).values() for t in ids}
        for f in a.faces:
            if f.track_id in known:
                # (a search in a window around a track groups OpenCV's raw hits a little
                # differently from a whole-frame search: 0.69 at worst on this clip)
                assert max(f.box.iou(g.box) for g in b.faces) > 0.65, a.index


def test_detect_every_needs_tracks() -> None:
    with pytest.raises(ValueError, match="track=True"):
        list(EmotionRecognizer().stream([], detect_every=3, track=False))


def test_predict_in_given_boxes(recognizer: EmotionRecognizer, two_faces: np.ndarray) -> None:
    found = recognizer.predict(two_faces)
    again = recognizer.predict(two_faces, boxes=[f.box for f in reversed(found)])
    assert [f.box for f in again] == [f.box for f in reversed(found)]  # the order given
    for a, b in zip(again, reversed(found), strict=True):
        assert a.emotion == b.emotion and abs(a.confidence - b.confidence) < 1e-6
    clipped = recognizer.predict(two_faces, boxes=[(600, 400, 100, 100)])
    assert clipped[0].box.xyxy == (600, 400, 640, 480)
    for bad, match in [
        ([(0, 0, 0, 10)], "non-positive"),
        ([(700, 0, 10, 10)], "outside"),
        ([(0, 0, float("nan"), 10)], "non-finite"),
        ([(1, 2)], "expected"),
        ((1, 2, 3, 4), "expected"),
        (np.zeros((1, 4)), "expected a list"),
    ]:
        with pytest.raises(InvalidBoxError, match=match):
            recognizer.predict(two_faces, boxes=bad)
    assert recognizer.predict(two_faces, boxes=[]) == []


def test_webcam_example_without_a_camera_says_so_and_how_to_pass_a_file() -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples/webcam.py"), "--source", "57"],  # no machine has camera 57
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.splitlines() == [
        "webcam.py: no camera at index 57 (none attached, or another program is using it)",
        "Pass a video file instead: python examples/webcam.py --source clip.mp4 --out annotated.mp4",
        "(python examples/make_clip.py clip.mp4 makes one)",
    ]  # and OpenCV's own warnings about the camera are not printed

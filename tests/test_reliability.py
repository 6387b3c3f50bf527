"""Reliability: huge frames, shared use from many threads, no leaked handles or threads, CLI writes only where told."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import IMAGES
from fer_sdk import EmotionRecognizer


@pytest.mark.slow
def test_huge_frame_gives_results(recognizer: EmotionRecognizer) -> None:
    assert recognizer.predict(np.zeros((10_000, 10_000), np.uint8)) == []


def _frames(astronaut: np.ndarray, hopper: np.ndarray, two_faces: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(200):
        base = (astronaut, hopper, two_faces, np.zeros((120, 160, 3), np.uint8))[i % 4]
        shift = int(rng.integers(0, 12))
        out.append(np.ascontiguousarray(np.roll(base, shift, axis=1)))
    return out


@pytest.mark.slow
def test_eight_threads_times_two_hundred_frames_equal_sequential(
    recognizer: EmotionRecognizer, astronaut: np.ndarray, hopper: np.ndarray, two_faces: np.ndarray
) -> None:
    frames = _frames(astronaut, hopper, two_faces)
    expected = [[f.model_dump() for f in recognizer.predict(fr)] for fr in frames]

    def worker(offset: int) -> list[list[dict[str, object]]]:
        order = frames[offset:] + frames[:offset]  # each thread starts elsewhere
        got = [[f.model_dump() for f in recognizer.predict(fr)] for fr in order]
        return got[len(frames) - offset :] + got[: len(frames) - offset]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(0, 200, 25)))
    assert len(results) == 8
    for got in results:
        assert got == expected


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def test_no_file_handles_or_threads_leak(recognizer: EmotionRecognizer, astronaut: np.ndarray) -> None:
    recognizer.predict(astronaut)
    recognizer.classify([astronaut])
    fds, threads = _open_fds(), threading.active_count()
    for _ in range(150):
        recognizer.predict(astronaut)
        recognizer.classify([astronaut[60:170, 170:280]])
    assert _open_fds() <= fds
    assert threading.active_count() <= threads


def test_cli_writes_only_the_paths_it_is_given(tmp_path: Path) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    out = tmp_path / "out" / "annotated.png"
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    res = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "predict", str(IMAGES / "astronaut.png"), "--json", "--annotate", str(out)],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    # TensorFlow, Keras and matplotlib keep their own caches under $HOME; nothing else may appear
    files = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    written = sorted(str(p) for p in files if p.parts[0] != "home")
    assert written == ["out/annotated.png"], written
    assert all(p.parts[1] in {".keras", ".cache", ".config"} for p in files if p.parts[0] == "home"), files
    assert cv2.imread(str(out)) is not None

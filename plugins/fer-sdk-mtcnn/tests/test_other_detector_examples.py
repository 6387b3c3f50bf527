"""The samples of docs/how-to/other-detector.md run as written and print what the page says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_example(name: str) -> str:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def needs(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install plugins/{module.replace('_', '-')})")


def test_detector_by_name_example() -> None:
    out = run_example("detector_by_name.py")
    assert "detector haar" in out and "from fer_sdk " in out
    assert "haar: box (" in out
    assert "rejected: ComponentError" in out
    assert "rejected: unknown detector 'no-such-detector'; available detectors:" in out


def test_whole_frame_detector_example() -> None:
    needs("fer_sdk_example")
    assert run_example("whole_frame_detector.py").strip() == "whole-frame: box (0, 0, 120, 120), emotion: happy"


def test_mtcnn_detector_example() -> None:
    needs("fer_sdk_mtcnn")
    lines = run_example("mtcnn_detector.py").splitlines()
    assert len(lines) == 2 and lines[0].startswith("mtcnn: box (") and ", score 0.9" in lines[0]
    assert lines[1].startswith("  eyes at (")


def test_aligned_faces_example() -> None:
    needs("fer_sdk_mtcnn", "fer_sdk_align")
    lines = run_example("aligned_faces.py").splitlines()
    assert [line.split(":")[0] for line in lines] == ["standard", "aligned"]
    assert all(": happy (" in line for line in lines)


def test_cli_with_mtcnn_and_aligned() -> None:
    needs("fer_sdk_mtcnn", "fer_sdk_align")
    image = ROOT / "examples" / "images" / "astronaut.png"
    res = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "predict", str(image), "--detector", "mtcnn", "--preprocessor", "aligned"],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "happy" in res.stdout

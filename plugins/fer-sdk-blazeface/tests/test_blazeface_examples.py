"""The blazeface samples of docs/how-to/other-detector.md run as written and print what the page says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_blazeface_detector_example() -> None:
    lines = run(str(ROOT / "examples" / "blazeface_detector.py")).splitlines()
    assert len(lines) == 2 and lines[0].startswith("blazeface: box (") and ", score 0." in lines[0]
    assert lines[1].startswith("  eyes at (")
    assert lines[1].endswith("landmarks: left_eye, right_eye, nose, mouth, left_ear, right_ear")


def test_cli_with_blazeface_and_aligned() -> None:
    if importlib.util.find_spec("fer_sdk_align") is None:
        pytest.skip("fer_sdk_align is not installed (pip install plugins/fer-sdk-align)")
    image = ROOT / "examples" / "images" / "astronaut.png"
    out = run("-m", "fer_sdk", "predict", str(image), "--detector", "blazeface", "--preprocessor", "aligned")
    assert "happy" in out

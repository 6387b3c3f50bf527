"""The documentation builds strictly, and the examples it includes run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    exe = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    assert exe is not None, "mkdocs is not installed: pip install -e '.[test]'"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    res = subprocess.run(
        [exe, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "site" / "reference" / "api" / "index.html").is_file()


def test_first_prediction_example(tmp_path: Path) -> None:
    out = tmp_path / "annotated.png"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "first_prediction.py"), str(out)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "emotion: happy" in res.stdout
    img = cv2.imread(str(out))
    assert img is not None and img.shape == (512, 512, 3)

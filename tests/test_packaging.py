"""Packaging: the wheel carries the weights, OpenCV gives a working Haar cascade, import stays light."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]
PRESET_FILES = ("model.keras", "model.tflite", "metadata.json")


@pytest.mark.slow
def test_wheel_contains_weights_metadata_and_py_typed(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("fer_sdk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    presets = [p.name for p in (ROOT / "fer_sdk" / "presets").iterdir() if (p / "metadata.json").is_file()]
    assert "fernet_fer7" in presets
    for needed in (
        *(f"fer_sdk/presets/{preset}/{file}" for preset in presets for file in PRESET_FILES),
        "fer_sdk/py.typed",
        "fer_sdk/hookspecs.py",
        "fer_sdk/train/recipes/fernet_fer7.yaml",
    ):
        assert needed in names, needed
    assert not any(n.endswith((".jpg", ".h5")) or "checkpoints" in n for n in names)
    # the fer_sdk package and the wheel's metadata, nothing else (no benchmarks/, tests/, examples/)
    assert {n.split("/")[0] for n in names} == {"fer_sdk", wheel.name.split("-py")[0] + ".dist-info"}


def test_installed_opencv_has_a_working_haar_cascade() -> None:
    assert int(cv2.__version__.split(".")[0]) == 4
    assert hasattr(cv2, "CascadeClassifier")
    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    assert path.is_file()
    assert not cv2.CascadeClassifier(str(path)).empty()


def test_import_does_not_load_tensorflow() -> None:
    code = "import sys, fer_sdk; fer_sdk.available_components(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

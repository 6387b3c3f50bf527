"""Runs are quiet: dependencies' start-up messages go to logging (``fer_sdk.dependencies``), not to stderr."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys

import pytest

from conftest import IMAGES
from fer_sdk._quiet import DEPENDENCY_LOGGER, dependency_output


def _env() -> dict[str, str]:
    """The user's environment as it is, without the test suite's TF_CPP_MIN_LOG_LEVEL."""
    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def test_native_writes_to_stderr_go_to_the_dependency_logger(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=DEPENDENCY_LOGGER), dependency_output():
        with dependency_output():  # nested: one capture
            os.write(2, b"I0000 native start-up message\n")
        os.write(2, b"E0000 failed call to cuInit\n\n")
    assert capfd.readouterr().err == ""
    assert [r.getMessage() for r in caplog.records if r.name == DEPENDENCY_LOGGER] == [
        "I0000 native start-up message",
        "E0000 failed call to cuInit",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == DEPENDENCY_LOGGER)
    os.write(2, b"after the block\n")  # stderr itself is back
    assert capfd.readouterr().err == "after the block\n"


@pytest.mark.slow
def test_cli_and_api_runs_write_nothing_to_stderr() -> None:
    image = str(IMAGES / "astronaut.png")
    cli = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "predict", image], capture_output=True, text=True, env=_env()
    )
    assert cli.returncode == 0 and " happy " in cli.stdout
    assert cli.stderr == "", cli.stderr
    litert = importlib.util.find_spec("fer_sdk_litert") is not None  # the plugin (installed by the test command)
    code = (
        "import cv2, numpy as np, fer_sdk\n"
        f"img = cv2.imread({image!r})\n"
        "print(fer_sdk.EmotionRecognizer().predict(img)[0].emotion)\n"  # one face: the XLA path
        "print(len(fer_sdk.EmotionRecognizer().classify([img, img])))\n"  # a batch
    )
    if litert:
        code += "print(fer_sdk.EmotionRecognizer(classifier='litert').predict(img)[0].emotion)\n"
    api = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    expected = ["happy", "2", "happy"] if litert else ["happy", "2"]
    assert api.returncode == 0 and api.stdout.split() == expected, api.stdout + api.stderr
    assert api.stderr == "", api.stderr


@pytest.mark.slow
def test_verbose_shows_the_dependency_messages_through_logging() -> None:
    image = str(IMAGES / "astronaut.png")
    res = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "-v", "predict", image], capture_output=True, text=True, env=_env()
    )
    assert res.returncode == 0 and " happy " in res.stdout
    # TensorFlow always reports something on start-up (CPU features, CUDA, XLA); with -v it is shown, as log records
    assert f"INFO {DEPENDENCY_LOGGER}: " in res.stderr, res.stderr

"""Keeping what dependencies print on start-up off the terminal, and in :mod:`logging` instead.

TensorFlow, XLA, absl and LiteRT write their start-up messages (``Could not find
cuda drivers``, ``failed call to cuInit``, ``Created TensorFlow Lite XNNPACK
delegate``...) straight to the process's stderr from C++, where neither
``warnings`` nor ``logging`` can filter them, and ``TF_CPP_MIN_LOG_LEVEL`` no
longer silences the ones printed before absl's logging is set up. fer_sdk runs the
calls that print them (loading a model, listing devices, compiling, building an
interpreter) inside :func:`dependency_output`, which captures file descriptor 2
for that time and passes each line captured to the ``fer_sdk.dependencies``
logger at INFO level. A normal run stays quiet; ``fer-sdk -v`` or
``logging.basicConfig(level=logging.INFO)`` shows them again.

Examples:
    >>> import logging, os
    >>> with dependency_output():
    ...     _ = os.write(2, b"I0000 a native library says hello\\n")
    >>> # nothing reached the terminal; the line went to logging.getLogger("fer_sdk.dependencies")
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO

__all__ = ["DEPENDENCY_LOGGER", "dependency_output", "quiet_tensorflow_logs"]

DEPENDENCY_LOGGER = "fer_sdk.dependencies"
logger = logging.getLogger(DEPENDENCY_LOGGER)

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None
_capture: IO[bytes] | None = None


def quiet_tensorflow_logs() -> None:
    """Before TensorFlow is imported: silence its C++ logging (``TF_CPP_MIN_LOG_LEVEL=3``).

    Left alone when the caller set ``TF_CPP_MIN_LOG_LEVEL`` already, when TensorFlow
    is imported already (too late to matter), and when the ``fer_sdk.dependencies``
    logger is enabled for INFO (``fer-sdk -v``: the messages are wanted).
    """
    if "tensorflow" in sys.modules or logger.isEnabledFor(logging.INFO):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _start() -> None:
    global _saved_fd, _capture
    with suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()
    capture = tempfile.TemporaryFile()  # noqa: SIM115 (open until _stop)
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (a GUI process): nothing to capture
        capture.close()
        return
    os.dup2(capture.fileno(), 2)
    _saved_fd, _capture = saved, capture


def _stop() -> list[str]:
    global _saved_fd, _capture
    if _saved_fd is None or _capture is None:
        return []
    with suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()
    os.dup2(_saved_fd, 2)
    os.close(_saved_fd)
    capture, _saved_fd, _capture = _capture, None, None
    capture.seek(0)
    text = capture.read().decode("utf-8", errors="replace")
    capture.close()
    return [line.rstrip() for line in text.splitlines() if line.strip()]


@contextmanager
def dependency_output() -> Iterator[None]:
    """Capture what is written to file descriptor 2 in the block and log it on ``fer_sdk.dependencies`` (INFO).

    Nested and concurrent blocks share one capture: it starts with the first block
    and ends, logging what was captured, with the last. Everything written to the
    process's stderr meanwhile, from any thread, is logged this way, so fer_sdk
    keeps these blocks to the few one-time calls that print start-up messages.
    """
    global _depth
    quiet_tensorflow_logs()
    with _lock:
        if _depth == 0:
            _start()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            lines = _stop() if _depth == 0 else []
        for line in lines:
            logger.info("%s", line)

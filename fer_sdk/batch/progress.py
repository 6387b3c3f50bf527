"""A progress line for batch runs: sources done, rates, time left."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

__all__ = ["BatchProgress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``1h02m``, ``3m05s`` or ``42s``.

    Examples:
        >>> format_seconds(3725), format_seconds(185), format_seconds(4.2)
        ('1h02m', '3m05s', '4s')
    """
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class BatchProgress:
    """Sources done out of the total, errors, sources and frames per second and the time left, on one line.

    On a terminal the line is redrawn at most twice a second; otherwise (a log file, CI) a
    new line is written every ``log_every`` seconds.

    Examples:
        >>> import io
        >>> p = BatchProgress(4, enabled=True, stream=io.StringIO())
        >>> p.update({"status": "ok", "frames": 1}); p.done
        1
    """

    def __init__(
        self, total: int, enabled: bool = True, stream: IO[str] | None = None, log_every: float = 10.0
    ) -> None:
        self.total, self.enabled = total, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = 0.5 if self.tty else log_every
        self.start = time.perf_counter()
        self.last = self.start
        self.done = self.errors = self.frames = 0

    def line(self) -> str:
        """The current progress text."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done}/{self.total} sources"
        if self.total:
            text += f" ({self.done / self.total:.0%})"
        if self.errors:
            text += f", {self.errors} errors"
        text += f", {rate:.1f} sources/s, {self.frames / elapsed:.1f} frames/s"
        if 0 < self.done < self.total:
            text += f", {format_seconds((self.total - self.done) / rate)} left"
        return text

    def update(self, result: dict[str, Any]) -> None:
        """Count one finished source (a result of :func:`~fer_sdk.batch.work.process_source`)."""
        self.done += 1
        self.frames += int(result.get("frames") or 0)
        self.errors += result.get("status") == "error"
        now = time.perf_counter()
        if self.enabled and now - self.last >= self.interval:
            self.last = now
            self._show()

    def _show(self) -> None:
        if self.tty:
            print(f"\r{self.line()}   ", end="", file=self.stream, flush=True)
        else:
            print(self.line(), file=self.stream, flush=True)

    def finish(self) -> None:
        """End the line (the final counts stay on the terminal)."""
        if self.enabled and self.done:
            elapsed = time.perf_counter() - self.start
            prefix = "\r" if self.tty else ""
            print(f"{prefix}{self.line()}, in {format_seconds(elapsed)}   ", file=self.stream, flush=True)

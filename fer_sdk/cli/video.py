"""``fer-sdk predict VIDEO``: results written as they come, a progress line, a per-track summary.

:mod:`fer_sdk.cli.predict` hands a video here; ``fer-sdk timeline`` reads the results back (:func:`read_results`).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

from fer_sdk.video import FrameResult, StreamProcessor, video_info


class ResultWriter:
    """Writes per-frame results to ``.jsonl`` (a frame per line) or ``.csv`` (a face per row), flushing each frame."""

    def __init__(self, path: Path | None, labels: tuple[str, ...], as_json: bool) -> None:
        self.labels = labels
        self.path = path
        self.as_json = as_json if path is None else path.suffix.lower() != ".csv"
        if path is not None and path.suffix.lower() not in {".csv", ".jsonl", ".json"}:
            raise ValueError(f"--out must end in .csv or .jsonl, got {path}")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[str] = path.open("w", encoding="utf-8", newline="") if path is not None else sys.stdout
        self.csv: Any = None
        if not self.as_json:
            self.csv = csv.writer(self.fh)
            self.csv.writerow(["frame", "timestamp", "track_id", "x", "y", "w", "h", "emotion", "confidence", *labels])

    def write(self, result: FrameResult) -> None:
        if self.as_json:
            self.fh.write(result.model_dump_json(exclude={"faces": {"__all__": {"raw_scores"}}}) + "\n")
        else:
            stamp = "" if result.timestamp is None else f"{result.timestamp:.3f}"
            if not result.faces:
                self.csv.writerow([result.index, stamp] + [""] * (7 + len(self.labels)))
            for f in result.faces:
                b = f.box
                scores = [f"{f.scores[n]:.4f}" for n in self.labels]
                self.csv.writerow(
                    [result.index, stamp, f.track_id, b.x, b.y, b.w, b.h, f.emotion, f"{f.confidence:.4f}", *scores]
                )
        self.fh.flush()

    def close(self) -> None:
        if self.path is not None:
            self.fh.close()


class Progress:
    """A one-line progress display on stderr: frames done, then fps and time left.

    The rate is measured from the first frame done on, so that loading the model
    (the first frame's seconds) does not count, and shown once ``warmup_frames``
    more frames are done: a first estimate from one or two frames is mostly noise.
    """

    def __init__(self, total: int, enabled: bool, warmup_frames: int = 5) -> None:
        self.total, self.enabled, self.warmup_frames = total, enabled, warmup_frames
        self.start = self.last = time.perf_counter()
        self.done = 0
        self.first: tuple[int, float] | None = None  # (frames, time) when the first frame was done

    def rate(self) -> float | None:
        """Frames per second since the first frame, once enough frames are done to tell."""
        if self.first is None or self.done - self.first[0] < self.warmup_frames:
            return None
        return (self.done - self.first[0]) / max(time.perf_counter() - self.first[1], 1e-9)

    def update(self, done: int) -> None:
        self.done = done
        now = time.perf_counter()
        if self.first is None and done > 0:
            self.first = (done, now)
        if not self.enabled or now - self.last < 0.5:
            return
        self.last = now
        fps = self.rate()
        count = f"frames {done}/{self.total} ({done / self.total:.0%})" if self.total > 0 else f"frames {done}"
        if fps is None:
            text = count
        elif self.total > 0:
            text = f"{count} {fps:.1f} fps, {max(0.0, (self.total - done) / max(fps, 1e-9)):.0f}s left"
        else:
            text = f"{count} {fps:.1f} fps"
        print(f"\r{text}   ", end="", file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            print(
                f"\rframes {self.done} in {elapsed:.1f}s ({self.done / max(elapsed, 1e-9):.1f} fps)   ", file=sys.stderr
            )


def summary(counts: dict[int, Counter[str]]) -> list[str]:
    """One line per track: frames seen and the share of each top emotion."""
    lines = []
    for track_id in sorted(counts):
        c = counts[track_id]
        n = sum(c.values())
        parts = ", ".join(f"{e} {k / n:.0%}" for e, k in c.most_common())
        lines.append(f"track {track_id}: {n} frames: {parts}")
    return lines or ["no faces found"]


def predict_video(rec: Any, path: Path, args: Any) -> int:
    """Run the recognizer over a video file as the command line asked; return the exit code."""
    import cv2

    from fer_sdk.drawing import annotate

    total, fps, width, height = video_info(path)
    every = args.every
    writer = ResultWriter(args.out, tuple(rec.labels), args.json)
    video_out = None
    if args.annotate is not None:
        args.annotate.parent.mkdir(parents=True, exist_ok=True)
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        video_out = cv2.VideoWriter(str(args.annotate), fourcc, max(1.0, (fps or 25.0) / every), (width, height))
        if not video_out.isOpened():
            writer.close()
            raise ValueError(f"cannot write video {args.annotate}")
    progress = Progress((total + every - 1) // every if total else 0, not args.no_progress)
    counts: dict[int, Counter[str]] = {}
    status = 0
    processor = StreamProcessor(rec, every=every, smoothing=args.smoothing, detect_every=args.detect_every)
    try:
        for done, (frame, result) in enumerate(processor.frames(path), start=1):
            writer.write(result)
            for face in result.faces:
                counts.setdefault(face.track_id, Counter())[face.emotion] += 1
            if video_out is not None:
                video_out.write(annotate(frame, result.faces))
            progress.update(done)
    except KeyboardInterrupt:
        status = 130
        print("\ninterrupted: the results so far are saved", file=sys.stderr)
    finally:
        progress.finish()
        writer.close()
        if video_out is not None:
            video_out.release()
    out = sys.stderr if args.out is None else sys.stdout
    for line in summary(counts):
        print(line, file=out)
    return status


def read_results(path: Path) -> list[dict[str, Any]]:
    """Read the ``.jsonl`` results written by ``fer-sdk predict VIDEO --out results.jsonl``."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]

"""``run_batch``: a corpus in, a resumable data set out."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fer_sdk.batch.engines import import_ray, local_results, ray_results
from fer_sdk.batch.progress import BatchProgress
from fer_sdk.batch.sources import expand_sources
from fer_sdk.batch.store import DatasetStore
from fer_sdk.batch.work import BatchOptions, make_recognizer
from fer_sdk.errors import ConfigError, FerSdkError

__all__ = ["BatchReport", "run_batch"]


class BatchReport(BaseModel):
    """What a batch run did.

    Attributes:
        out: the output folder.
        sources: sources named by the arguments (after expanding folders, patterns and lists).
        skipped: of those, complete before this run (resumed).
        processed: sources this run completed.
        ok, no_face, error: status counts of the whole data set (every run into ``out``).
        faces, frames: face rows and frames this run wrote / read.
        interrupted: the run was stopped (Ctrl-C) before the end; rerun to resume.
        empty: folders or patterns that held no image or video.
        cluster, workers: the Ray cluster used and its actors (``ray`` engine).
    """

    model_config = ConfigDict(frozen=True)

    out: Path
    engine: str
    format: str
    sources: int
    skipped: int
    processed: int
    ok: int
    no_face: int
    error: int
    faces: int
    frames: int
    seconds: float
    interrupted: bool = False
    empty: list[str] = []
    cluster: str | None = None
    workers: int | None = None

    def summary(self) -> str:
        r"""A one-paragraph account of the run.

        Examples:
            >>> r = BatchReport(out="o", engine="local", format="jsonl", sources=3, skipped=1, processed=2,
            ...                 ok=2, no_face=0, error=1, faces=2, frames=2, seconds=1.0)
            >>> print(r.summary().replace("; ", ";\n"))
            3 sources: 2 with faces, 0 without, 1 errors (status 'error' in o/sources);
            this run: 2 processed (2 faces in 2 frames, 1.0s), 1 already done
        """
        where = f" (status 'error' in {self.out / 'sources'})" if self.error else ""
        text = (
            f"{self.sources} sources: {self.ok} with faces, {self.no_face} without, {self.error} errors{where}; "
            f"this run: {self.processed} processed ({self.faces} faces in {self.frames} frames, {self.seconds:.1f}s)"
        )
        if self.skipped:
            text += f", {self.skipped} already done"
        if self.interrupted:
            text += f"; interrupted: {self.sources - self.skipped - self.processed} left, rerun the command to resume"
        return text


def run_batch(
    sources: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    engine: Literal["local", "ray"] = "local",
    format: Literal["parquet", "jsonl"] = "parquet",
    address: str | None = None,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    batch_size: int = 1,
    chunk_size: int = 64,
    flush_seconds: float = 30.0,
    progress: bool = False,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    **options: Any,
) -> BatchReport:
    """Recognise emotions in a corpus of images and videos and write a resumable data set.

    Sources are image or video files, folders (searched recursively), glob patterns
    and list files (``.txt``: one source a line). The output folder ``out`` gets
    ``faces/part-*.parquet`` (one row per face per image or frame: ``source``, ``kind``,
    ``frame``, ``time``, ``face``, ``track_id``, ``x``, ``y``, ``w``, ``h``,
    ``det_score``, ``emotion``, ``confidence`` and one column per label) and
    ``sources/part-*.parquet`` (one row per source: ``status`` ``ok``, ``no_face`` or
    ``error``, with the error's text). With ``format="jsonl"`` the faces parts hold
    the records of ``fer-sdk predict --json`` instead (one per face of an image, one
    per frame of a video) and nothing needs pyarrow.

    Results are written every ``chunk_size`` sources (or ``flush_seconds``), each part
    atomically. Running again into the same ``out`` skips the sources already complete,
    so an interrupted run resumes where it stopped; Ctrl-C writes what is finished first.

    Args:
        sources: what to process.
        out: the output folder (new, or one written by an earlier run with the same options).
        engine: ``"local"`` (this process, one recognizer) or ``"ray"`` (Ray Data actors,
            each holding a loaded recognizer; needs ``pip install 'fer_sdk[ray]'``).
        format: ``"parquet"`` (needs ``pip install 'fer_sdk[batch]'``) or ``"jsonl"``.
        address: ``ray`` engine: a running cluster; ``None`` starts a local Ray on
            127.0.0.1 for the run.
        workers: ``ray`` engine: actors (default: one per CPU, or per GPU).
        cpus_per_worker: ``ray`` engine: CPUs each actor reserves (and its threads).
        gpus_per_worker: ``ray`` engine: GPUs (or a share of one) each actor reserves.
        batch_size: ``ray`` engine: sources per actor call.
        chunk_size: write a part every this many finished sources...
        flush_seconds: ...or when this many seconds have passed since the last part.
        progress: a progress line on stderr.
        on_result: called with each source's result as it completes (its status row, with
            ``records``), before it is written: for a progress display of your own.
        **options: see :class:`~fer_sdk.batch.BatchOptions`: ``detector``,
            ``preprocessor``, ``classifier``, ``max_faces``, ``*_options``, and for videos
            ``every``, ``detect_every`` and ``smoothing``.

    Returns:
        A :class:`BatchReport`.

    Raises:
        ConfigError: an unknown engine or format, ray options with the local engine, sizes below 1.
        FerSdkError: nothing to process, an output folder of another run, a missing
            extra, an unknown component.

    Examples:
        >>> import tempfile
        >>> report = run_batch(["examples/images"], Path(tempfile.mkdtemp()) / "out", format="jsonl")
        >>> report.processed, report.ok, report.faces
        (2, 2, 2)
    """
    if engine not in ("local", "ray"):
        raise ConfigError(f"engine must be 'local' or 'ray', got {engine!r}")
    if format not in ("parquet", "jsonl"):
        raise ConfigError(f"format must be 'parquet' or 'jsonl', got {format!r}")
    if engine == "local" and (address is not None or workers is not None or gpus_per_worker):
        raise ConfigError("address, workers and GPUs per worker are options of the ray engine (engine='ray')")
    for name, value in (("chunk_size", chunk_size), ("batch_size", batch_size), ("workers", workers or 1)):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if cpus_per_worker <= 0 or gpus_per_worker < 0:
        raise ConfigError(
            f"cpus_per_worker must be > 0 and gpus_per_worker >= 0, got {cpus_per_worker}, {gpus_per_worker}"
        )
    opts = BatchOptions.model_validate(options)
    found, empty = expand_sources(sources)
    if not found:
        where = ", ".join(empty) if empty else "the arguments"
        raise FerSdkError(f"nothing to process: no image or video files in {where}")
    if engine == "ray":
        import_ray()  # a missing extra is said before anything is written
    recognizer = make_recognizer(opts)
    store = DatasetStore(Path(out), format, recognizer.labels, opts.model_dump(mode="json"))
    done = store.completed()
    todo = [s for s in found if s.path not in done]
    info: dict[str, Any] = {}
    start = time.perf_counter()
    results: Iterator[dict[str, Any]]
    if not todo:
        results = iter(())
    elif engine == "local":
        results = local_results(recognizer.warmup(), todo, opts)
    else:
        results = ray_results(
            todo,
            opts,
            address=address,
            workers=workers,
            cpus_per_worker=cpus_per_worker,
            gpus_per_worker=gpus_per_worker,
            batch_size=batch_size,
            info=info,
        )
    bar = BatchProgress(len(todo), enabled=progress)
    pending: list[dict[str, Any]] = []
    processed = faces = frames = 0
    interrupted = False
    last_flush = time.monotonic()
    try:
        for result in results:
            pending.append(result)
            processed += 1
            faces += int(result["faces"])
            frames += int(result["frames"])
            bar.update(result)
            if on_result is not None:
                on_result(result)
            if len(pending) >= chunk_size or time.monotonic() - last_flush >= flush_seconds:
                store.write(pending)
                pending, last_flush = [], time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        close = getattr(results, "close", None)
        if callable(close):
            close()  # stops the engine (a local Ray it started is shut down)
        store.write(pending)  # what is finished is kept, also when the run fails
        bar.finish()
    counts = store.status_counts()
    return BatchReport(
        out=Path(out),
        engine=engine,
        format=format,
        sources=len(found),
        skipped=len(found) - len(todo),
        processed=processed,
        ok=counts.get("ok", 0),
        no_face=counts.get("no_face", 0),
        error=counts.get("error", 0),
        faces=faces,
        frames=frames,
        seconds=time.perf_counter() - start,
        interrupted=interrupted,
        empty=empty,
        cluster=info.get("cluster"),
        workers=info.get("workers"),
    )

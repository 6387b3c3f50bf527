"""Emotion recognition over whole corpora: folders of photos and videos, locally or on a Ray cluster.

:func:`run_batch` (and ``fer-sdk batch``) expands folders, glob patterns and list
files into sources, recognises every face of every image and of every (N-th) frame
of every video, and writes a data set that pandas, polars, DuckDB and Spark read as
it is: ``OUT/faces`` (one row per face) and ``OUT/sources`` (one row per source with
its status). Runs are resumable: the same call again skips what is complete.

Examples:
    >>> import tempfile
    >>> from fer_sdk.batch import run_batch
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> run_batch(["examples/images/astronaut.png"], out, format="jsonl").ok
    1
    >>> sorted(p.name for p in out.iterdir())
    ['_batch.json', 'faces', 'sources']
"""

from __future__ import annotations

from pathlib import Path

from fer_sdk.batch.run import BatchReport, run_batch
from fer_sdk.batch.sources import Source, expand_sources
from fer_sdk.batch.store import FACE_COLUMNS, SOURCE_COLUMNS
from fer_sdk.batch.work import BatchOptions, process_source

__all__ = [
    "FACE_COLUMNS",
    "SOURCE_COLUMNS",
    "BatchOptions",
    "BatchReport",
    "Source",
    "expand_sources",
    "process_source",
    "run_batch",
]

_ = Path  # used by the module's examples

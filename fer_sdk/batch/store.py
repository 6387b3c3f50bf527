"""The output data set of a batch run: parts written atomically, read back to resume.

Layout of ``OUT``::

    OUT/_batch.json               the run's options, labels and format (checked on resume)
    OUT/faces/part-NNNNNN.parquet one row per face per image or frame
    OUT/sources/part-NNNNNN.parquet one row per source: its status

Each part is written to a hidden temporary file and renamed, faces first, then the
sources part of the same number; a source is complete exactly when its status row is
in a ``sources`` part. On opening, a faces part without its sources part (a run
killed between the two renames) and leftover temporary files are removed, so every
face row belongs to a complete source and none is written twice.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from fer_sdk.errors import FerSdkError

__all__ = ["FACE_COLUMNS", "SOURCE_COLUMNS", "DatasetStore", "face_rows"]

Format = Literal["parquet", "jsonl"]
FACE_COLUMNS = (
    "source",
    "kind",
    "frame",
    "time",
    "face",
    "track_id",
    "x",
    "y",
    "w",
    "h",
    "det_score",
    "emotion",
    "confidence",
)
SOURCE_COLUMNS = ("source", "kind", "status", "faces", "frames", "error", "seconds", "worker")
_PART_RE = re.compile(r"^part-(\d{6})\.(parquet|jsonl)$")
META = "_batch.json"


def _face_row(source: str, kind: str, frame: int, time: float | None, i: int, face: dict[str, Any]) -> dict[str, Any]:
    box = face["box"]
    row = {
        "source": source,
        "kind": kind,
        "frame": frame,
        "time": time,
        "face": i,
        "track_id": face.get("track_id"),
        "x": box["x"],
        "y": box["y"],
        "w": box["w"],
        "h": box["h"],
        "det_score": box.get("score"),
        "emotion": face["emotion"],
        "confidence": face["confidence"],
    }
    row.update(face["scores"])
    return row


def face_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The flat rows (one per face) of one source's result from :func:`~fer_sdk.batch.work.process_source`."""
    src, kind = result["source"], result["kind"]
    rows: list[dict[str, Any]] = []
    for rec in result["records"]:
        if kind == "video":
            rows.extend(_face_row(src, kind, rec["index"], rec["timestamp"], i, f) for i, f in enumerate(rec["faces"]))
        else:
            rows.append(_face_row(src, kind, 0, None, rec["face"], rec))
    return rows


def _require_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise FerSdkError(
            "Parquet output needs pyarrow: pip install 'fer_sdk[batch]' (or use --format jsonl)"
        ) from None
    return pyarrow


class DatasetStore:
    """Writes the parts of one output folder and knows which sources are complete.

    Args:
        out: the output folder (created if missing).
        fmt: ``"parquet"`` or ``"jsonl"``.
        labels: the classifier's labels: one score column each.
        settings: what the results depend on (the recognizer's and the video options);
            an existing folder written with other settings, labels or format is refused.

    Examples:
        >>> import tempfile
        >>> store = DatasetStore(Path(tempfile.mkdtemp()) / "out", "jsonl", ("happy", "sad"), {})
        >>> store.completed()
        set()
    """

    def __init__(self, out: Path, fmt: Format, labels: Sequence[str], settings: dict[str, Any]) -> None:
        self.out, self.fmt, self.labels = Path(out), fmt, tuple(labels)
        clash = set(self.labels) & (set(FACE_COLUMNS) | set(SOURCE_COLUMNS))
        if clash:
            raise FerSdkError(f"the classifier's labels {sorted(clash)} clash with the output's own column names")
        if fmt == "parquet":
            _require_pyarrow()
        self.faces_dir, self.sources_dir = self.out / "faces", self.out / "sources"
        meta = {"format": fmt, "labels": list(self.labels), "settings": settings}
        meta_path = self.out / META
        if self.out.exists() and not self.out.is_dir():
            raise FerSdkError(f"--out {self.out} is a file; give a folder for the data set")
        if meta_path.is_file():
            old = json.loads(meta_path.read_text(encoding="utf-8"))
            if old != json.loads(json.dumps(meta)):
                diff = sorted(k for k in set(old) | set(meta) if old.get(k) != meta.get(k))
                raise FerSdkError(
                    f"{self.out} holds the results of a run with other {', '.join(diff)} "
                    f"(there: {json.dumps({k: old.get(k) for k in diff})}); resume with the same options, "
                    "or write to another folder"
                )
        elif self.out.is_dir() and any(self.out.iterdir()):
            raise FerSdkError(f"{self.out} exists and is not the output folder of a batch run; give a new folder")
        self.faces_dir.mkdir(parents=True, exist_ok=True)
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        if not meta_path.is_file():
            tmp = self.out / f".{META}.tmp"
            tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, meta_path)
        self._clean()
        self._next = 1 + max((n for n in self._parts(self.sources_dir)), default=0)

    def _parts(self, folder: Path) -> dict[int, Path]:
        parts = {}
        for p in folder.iterdir():
            m = _PART_RE.match(p.name)
            if m and m.group(2) == self.fmt:
                parts[int(m.group(1))] = p
        return parts

    def _clean(self) -> None:
        """Remove temporary files and the faces parts whose sources part was never written."""
        for folder in (self.faces_dir, self.sources_dir, self.out):
            for p in folder.glob(".*.tmp"):
                p.unlink(missing_ok=True)
        done = self._parts(self.sources_dir)
        for n, p in self._parts(self.faces_dir).items():
            if n not in done:
                p.unlink()

    def completed(self) -> set[str]:
        """The sources whose status row is written (done, with or without faces, or failed)."""
        done: set[str] = set()
        for p in sorted(self._parts(self.sources_dir).values()):
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                done.update(str(s) for s in pq.read_table(p, columns=["source"]).column("source").to_pylist())
            else:
                with p.open(encoding="utf-8") as fh:
                    done.update(json.loads(line)["source"] for line in fh if line.strip())
        return done

    def status_counts(self) -> dict[str, int]:
        """How many sources of the whole data set are ``ok``, ``no_face`` and ``error``."""
        counts = {"ok": 0, "no_face": 0, "error": 0}
        for p in self._parts(self.sources_dir).values():
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                statuses = pq.read_table(p, columns=["status"]).column("status").to_pylist()
            else:
                with p.open(encoding="utf-8") as fh:
                    statuses = [json.loads(line)["status"] for line in fh if line.strip()]
            for s in statuses:
                counts[str(s)] = counts.get(str(s), 0) + 1
        return counts

    def write(self, results: Iterable[dict[str, Any]]) -> int:
        """Write one part (faces, then sources) for these complete sources; returns the part's number."""
        results = list(results)
        if not results:
            return 0
        n, self._next = self._next, self._next + 1
        name = f"part-{n:06d}.{self.fmt}"
        if self.fmt == "parquet":
            self._write_parquet(self.faces_dir / name, self._faces_table(results))
            self._write_parquet(self.sources_dir / name, self._sources_table(results))
        else:
            self._write_lines(self.faces_dir / name, (rec for r in results for rec in r["records"]))
            self._write_lines(self.sources_dir / name, ({k: r[k] for k in SOURCE_COLUMNS} for r in results))
        return n

    # writers ------------------------------------------------------------------------------------------------------
    @staticmethod
    def _atomic(path: Path) -> Path:
        return path.with_name(f".{path.name}.tmp")

    def _write_lines(self, path: Path, records: Iterable[dict[str, Any]]) -> None:
        tmp = self._atomic(path)
        with tmp.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _write_parquet(self, path: Path, table: Any) -> None:
        import pyarrow.parquet as pq

        tmp = self._atomic(path)
        pq.write_table(table, tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def faces_schema(self) -> Any:
        """The Arrow schema of the faces table: fixed columns, then one float64 score column per label."""
        pa = _require_pyarrow()
        fields = [
            ("source", pa.string()),
            ("kind", pa.string()),
            ("frame", pa.int64()),
            ("time", pa.float64()),
            ("face", pa.int32()),
            ("track_id", pa.int32()),
            ("x", pa.int32()),
            ("y", pa.int32()),
            ("w", pa.int32()),
            ("h", pa.int32()),
            ("det_score", pa.float64()),
            ("emotion", pa.string()),
            ("confidence", pa.float64()),
        ]
        fields += [(label, pa.float64()) for label in self.labels]
        return pa.schema(fields)

    @staticmethod
    def sources_schema() -> Any:
        """The Arrow schema of the sources table."""
        pa = _require_pyarrow()
        return pa.schema(
            [
                ("source", pa.string()),
                ("kind", pa.string()),
                ("status", pa.string()),
                ("faces", pa.int64()),
                ("frames", pa.int64()),
                ("error", pa.string()),
                ("seconds", pa.float64()),
                ("worker", pa.string()),
            ]
        )

    def _faces_table(self, results: list[dict[str, Any]]) -> Any:
        pa = _require_pyarrow()
        schema = self.faces_schema()
        rows = [row for r in results for row in face_rows(r)]
        return pa.Table.from_pydict({name: [row.get(name) for row in rows] for name in schema.names}, schema=schema)

    def _sources_table(self, results: list[dict[str, Any]]) -> Any:
        pa = _require_pyarrow()
        schema = self.sources_schema()
        return pa.Table.from_pydict({name: [r[name] for r in results] for name in schema.names}, schema=schema)

"""The work of one source, the same in every engine: read it, recognise every face, report its status."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from fer_sdk.batch.sources import Source
from fer_sdk.preset import looks_like_path

__all__ = ["BatchOptions", "make_recognizer", "process_source"]


class BatchOptions(BaseModel):
    """What each worker builds and how it reads a video: the options of ``fer-sdk predict`` and of ``stream``.

    A run's output folder remembers them: resuming with other options is an error, so one
    data set never mixes the results of two models.

    Examples:
        >>> BatchOptions(every=5, smoothing="ema").every
        5
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: str = Field("haar", description="registered detector name")
    preprocessor: str | None = Field(None, description="registered preprocessor name (default: the classifier's)")
    classifier: str = Field(
        "auto", description="registered classifier name, bundled preset or model folder (auto: as EmotionRecognizer)"
    )
    max_faces: int | None = Field(None, ge=1, description="keep at most this many faces per image or frame")
    detector_options: dict[str, Any] = Field(default_factory=dict)
    preprocessor_options: dict[str, Any] = Field(default_factory=dict)
    classifier_options: dict[str, Any] = Field(default_factory=dict)
    every: int = Field(1, ge=1, description="video: process every N-th frame")
    detect_every: int = Field(1, ge=1, description="video: search the whole frame every N-th processed frame")
    smoothing: Literal["none", "ema", "window"] = Field("none", description="video: per-track smoothing")

    @field_validator("classifier")
    @classmethod
    def _absolute_model_path(cls, v: str) -> str:
        # a model folder is read by every worker, which may not share the driver's current folder
        return os.path.abspath(v) if looks_like_path(v) and Path(v).exists() else v


def make_recognizer(options: BatchOptions) -> Any:
    """The :class:`~fer_sdk.EmotionRecognizer` that ``options`` describe (not yet loaded)."""
    from fer_sdk import EmotionRecognizer

    return EmotionRecognizer(
        detector=options.detector,
        preprocessor=options.preprocessor,
        classifier=options.classifier,
        max_faces=options.max_faces,
        detector_options=options.detector_options,
        preprocessor_options=options.preprocessor_options,
        classifier_options=options.classifier_options,
    )


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _image_records(rec: Any, path: str) -> tuple[list[dict[str, Any]], int, int]:
    from fer_sdk.errors import FerSdkError
    from fer_sdk.frame import read_image

    img = read_image(Path(path))
    if img is None:
        raise FerSdkError("no such file" if not Path(path).exists() else "not a readable image")
    faces = rec.predict(img)
    return [{"image": path, "face": i, **face.model_dump()} for i, face in enumerate(faces)], len(faces), 1


def _video_records(rec: Any, path: str, options: BatchOptions) -> tuple[list[dict[str, Any]], int, int]:
    from fer_sdk.errors import FerSdkError
    from fer_sdk.video import StreamProcessor, video_info

    if not Path(path).is_file():
        raise FerSdkError("no such file")
    video_info(path)  # a clear error for a file OpenCV cannot open as a video
    processor = StreamProcessor(
        rec, every=options.every, detect_every=options.detect_every, smoothing=options.smoothing
    )
    records: list[dict[str, Any]] = []
    faces = 0
    for _, result in processor.frames(path):
        faces += len(result.faces)
        records.append(
            {"video": path, **result.model_dump(mode="json", exclude={"faces": {"__all__": {"raw_scores"}}})}
        )
    if not records:
        raise FerSdkError("no frame could be read (not a video OpenCV can decode, or an empty one)")
    return records, faces, len(records)


def process_source(rec: Any, source: Source, options: BatchOptions) -> dict[str, Any]:
    """Recognise every face of one source; never raises for a bad file.

    Returns a dict with the source's status row (``source``, ``kind``, ``status``:
    ``ok``, ``no_face`` or ``error``, ``faces``, ``frames``, ``error``, ``seconds``,
    ``worker``; ``started``, the wall-clock time it began, is not written) and
    ``records``: for an image one record per face as ``fer-sdk predict --json``
    prints it, for a video one record per processed frame (``video``, ``index``,
    ``timestamp``, ``faces`` with their ``track_id``).

    Examples:
        >>> from fer_sdk.batch.sources import expand_sources
        >>> opts = BatchOptions()
        >>> src = expand_sources(["examples/images/astronaut.png"])[0][0]
        >>> out = process_source(make_recognizer(opts), src, opts)
        >>> out["status"], out["faces"], out["records"][0]["emotion"]
        ('ok', 1, 'happy')
    """
    start = time.perf_counter()
    row: dict[str, Any] = {"source": source.path, "kind": source.kind, "worker": _worker_name(), "started": time.time()}
    try:
        if source.kind == "video":
            records, faces, frames = _video_records(rec, source.path, options)
        else:
            records, faces, frames = _image_records(rec, source.path)
    except Exception as exc:  # one bad file must never stop a corpus: it becomes an error row
        from fer_sdk.errors import FerSdkError

        message = str(exc) if isinstance(exc, FerSdkError) else f"{type(exc).__name__}: {exc}"
        row.update(status="error", faces=0, frames=0, error=message or type(exc).__name__, records=[])
    else:
        row.update(status="ok" if faces else "no_face", faces=faces, frames=frames, error=None, records=records)
    row["seconds"] = time.perf_counter() - start
    return row

"""The Ray engine of fer_sdk.batch on a local two-worker Ray (127.0.0.1 only), started and stopped by the run."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from batch_corpus import STATUS, make_corpus

from fer_sdk.batch import run_batch

pytest.importorskip("ray.data", reason="the ray engine needs Ray Data: pip install '.[test]' (or 'fer_sdk[ray]')")
pd = pytest.importorskip("pandas")
FER7 = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
KEY = ["source", "frame", "face"]


def table(out: Path, name: str, root: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / name)
    df["source"] = [Path(s).relative_to(root).as_posix() for s in df["source"]]
    return df.sort_values(KEY if name == "faces" else ["source"]).reset_index(drop=True)


def ctrl_c_when_done(sources: Path, parts: int, pipe: Path) -> threading.Thread:
    """Send this process SIGINT once ``parts`` parts are written (the run then waits on ``pipe``).

    If that never happens, unblock the pipe after a while so that the run ends and the test fails.
    """

    def watch() -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if sources.is_dir() and len(list(sources.glob("part-*"))) >= parts:
                time.sleep(1.0)
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.2)
        with pipe.open("wb") as fh:
            fh.write(b"timed out")

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
def test_ray_engine_gives_the_local_results_and_resumes_after_ctrl_c(
    tmp_path: Path, astronaut: np.ndarray, hopper: np.ndarray
) -> None:
    corpus = make_corpus(tmp_path / "corpus", astronaut, hopper)
    local = run_batch([corpus], tmp_path / "local", every=2)
    # a named pipe as the last source: a worker waits on it for ever, after the other sources are done
    (corpus / "zz").mkdir()
    pipe = corpus / "zz" / "pipe.png"
    os.mkfifo(pipe)
    out = tmp_path / "ray"
    # Ctrl-C raises KeyboardInterrupt, as in a terminal (a test run started in the background of a
    # non-interactive shell inherits SIGINT ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        watcher = ctrl_c_when_done(out / "sources", len(STATUS), pipe)
        ray = run_batch([corpus], out, engine="ray", workers=2, every=2, chunk_size=1)
        watcher.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert ray.interrupted and ray.processed == len(STATUS), ray
    assert ray.cluster is not None and ray.cluster.startswith("127.0.0.1:")  # a local Ray on loopback only
    assert ray.workers == 2
    assert (ray.ok, ray.no_face, ray.error) == (local.ok, local.no_face, local.error) == (3, 1, 2)
    a, b = table(tmp_path / "local", "sources", corpus), table(out, "sources", corpus)
    assert dict(zip(b.source, b.status, strict=True)) == STATUS
    cols = ["source", "kind", "status", "faces", "frames", "error"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert b.worker.nunique() <= 2  # two actors, each with one recognizer, did all the work
    fa, fb = table(tmp_path / "local", "faces", corpus), table(out, "faces", corpus)
    exact = ["source", "kind", "frame", "time", "face", "track_id", "x", "y", "w", "h", "emotion"]
    pd.testing.assert_frame_equal(fa[exact], fb[exact])
    np.testing.assert_allclose(fa[FER7].to_numpy(), fb[FER7].to_numpy(), atol=1e-4)
    video = fb[fb.source == "clip.mp4"]
    assert video.frame.tolist() == sorted(video.frame) and set(video.frame) == {0, 2, 4, 6, 8, 10}
    # the pipe becomes a photo; the rerun does only that one (the local engine takes over the same data set)
    pipe.unlink()
    cv2.imwrite(str(pipe), astronaut)
    again = run_batch([corpus], out, every=2)
    assert (again.skipped, again.processed, again.ok, again.interrupted) == (len(STATUS), 1, 4, False)
    assert table(out, "sources", corpus).source.is_unique
    # and with everything complete, a rerun on Ray processes nothing and starts no Ray
    done = run_batch([corpus], out, engine="ray", workers=2, every=2)
    assert (done.skipped, done.processed, done.cluster) == (len(STATUS) + 1, 0, None)

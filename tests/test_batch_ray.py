"""The Ray engine of fer_sdk.batch on a local two-worker Ray (127.0.0.1 only), started and stopped by the run."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.slow
def test_ray_engine_gives_the_local_results(tmp_path: Path, astronaut: np.ndarray, hopper: np.ndarray) -> None:
    corpus = make_corpus(tmp_path / "corpus", astronaut, hopper)
    local = run_batch([corpus], tmp_path / "local", every=2)
    ray = run_batch([corpus], tmp_path / "ray", engine="ray", workers=2, every=2, chunk_size=2)
    assert ray.cluster is not None and ray.cluster.startswith("127.0.0.1:")  # a local Ray on loopback only
    assert ray.workers == 2
    assert (ray.processed, ray.ok, ray.no_face, ray.error) == (local.processed, 3, 1, 2)
    a, b = table(tmp_path / "local", "sources", corpus), table(tmp_path / "ray", "sources", corpus)
    assert dict(zip(b.source, b.status, strict=True)) == STATUS
    cols = ["source", "kind", "status", "faces", "frames", "error"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert b.worker.nunique() <= 2  # two actors, each with one recognizer, did all the work
    fa, fb = table(tmp_path / "local", "faces", corpus), table(tmp_path / "ray", "faces", corpus)
    exact = ["source", "kind", "frame", "time", "face", "track_id", "x", "y", "w", "h", "emotion"]
    pd.testing.assert_frame_equal(fa[exact], fb[exact])
    np.testing.assert_allclose(fa[FER7].to_numpy(), fb[FER7].to_numpy(), atol=1e-4)
    video = fb[fb.source == "clip.mp4"]
    assert video.frame.tolist() == sorted(video.frame) and set(video.frame) == {0, 2, 4, 6, 8, 10}
    # rerun: everything is complete, so nothing is processed and no Ray is started
    again = run_batch([corpus], tmp_path / "ray", engine="ray", workers=2, every=2)
    assert (again.skipped, again.processed, again.cluster) == (6, 0, None)

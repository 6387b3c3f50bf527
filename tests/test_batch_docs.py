"""The batch how-to (docs/how-to/batch-folder.md): its commands and examples, run as written or parsed."""

from __future__ import annotations

import importlib.metadata
import json
import shlex
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_doc_samples import ROOT, SNIPPETS, checkout, env_with, run_snippet, shell_commands

from conftest import write_video
from fer_sdk.cli import build_parser

__all__ = ["checkout"]  # the scratch checkout fixture of the documentation tests


@pytest.mark.slow
def test_batch_howto_commands(checkout: Path, astronaut: np.ndarray, hopper: np.ndarray) -> None:
    write_video(checkout / "clip.mp4", astronaut, hopper)
    first, again, query = run_snippet("batch-local.sh", checkout)
    assert "3 sources: 3 with faces, 0 without, 0 errors; this run: 3 processed" in first
    assert "this run: 0 processed (0 faces in 0 frames, 0.0s), 3 already done" in again
    assert "faces in 3 sources" in query and "happy" in query and "neutral" in query
    assert "│ source" in query.replace("  ", " ") or "source" in query  # DuckDB's table
    (py,) = run_snippet("batch-python.sh", checkout)
    assert "astronaut.png      0     0   happy" in py and "grace_hopper.jpg      0     0 neutral" in py
    run_snippet("batch-jsonl.sh", checkout)
    records = [json.loads(line) for p in (checkout / "results-jsonl" / "faces").glob("*.jsonl") for line in p.open()]
    assert sorted((Path(r["image"]).name, r["emotion"]) for r in records) == [
        ("astronaut.png", "happy"),
        ("grace_hopper.jpg", "neutral"),
    ]


def test_batch_example_reports_unreadable_files_and_faceless_images(tmp_path: Path, astronaut: np.ndarray) -> None:
    folder = tmp_path / "in" / "sub"
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "blank.png"), np.zeros((120, 160, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "in" / "astronaut.png"), astronaut)
    (folder / "broken.jpg").write_bytes(b"nope")
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples/batch_folder.py"), str(tmp_path / "in"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env_with(),
    )
    assert res.returncode == 1, res.stderr
    assert "could not process" in res.stderr and "broken.jpg: not a readable image" in res.stderr
    assert "3 sources: 1 with faces, 1 without, 1 errors" in res.stdout
    assert "astronaut.png      0     0   happy" in res.stdout


def test_documented_extras_exist() -> None:
    """The installed distribution's requirements: pyarrow with batch, Ray Data (and pyarrow) with ray and test."""
    requires = importlib.metadata.requires("fer_sdk") or []
    commands = shell_commands(SNIPPETS / "batch-install.sh")
    assert [shlex.split(c.split("#")[0])[:2] for c in commands] == [["pip", "install"]] * 2
    named = [shlex.split(c.split("#")[0])[2] for c in commands]
    assert named == [".[batch]", ".[ray]"]

    def extra(name: str) -> list[str]:
        return [r.split(";")[0].strip() for r in requires if f"extra == '{name}'" in r.replace('"', "'")]

    assert any(r.startswith("pyarrow") for r in extra("batch"))
    for name in ("ray", "test"):
        assert any(r.startswith("ray[data]") for r in extra(name)) and any(r.startswith("pyarrow") for r in extra(name))


@pytest.mark.parametrize(
    ("name", "address", "workers", "gpus"),
    [
        ("batch-ray-local.sh", None, 2, 0.0),
        ("batch-ray-cluster.sh", "HEAD_IP:6379", None, 0.0),
        ("batch-ray-gpu.sh", "auto", None, 0.5),
    ],
)
def test_documented_ray_commands_parse(name: str, address: str | None, workers: int | None, gpus: float) -> None:
    """The cluster commands need a cluster: their ``fer-sdk batch`` line must at least be a valid command."""
    commands = shell_commands(SNIPPETS / name)
    (line,) = [c for c in commands if c.startswith("fer-sdk batch")]
    assert all(c.startswith("ray start") for c in commands if c != line)
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert (args.command, args.engine, args.address, args.workers, args.gpus_per_worker) == (
        "batch",
        "ray",
        address,
        workers,
        gpus,
    )

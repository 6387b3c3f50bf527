"""Throughput of ``fer_sdk.batch`` on this machine: the local engine against Ray Data with 1 and 2 workers.

Each configuration runs in a fresh process, twice: once over a folder of photos
(640x480 JPEGs: the two public-domain portraits of examples/images at random
sizes, places and mirrorings on a grey background, one or two faces each) and once
over a folder of short videos (640x480, the same portraits drifting across the frame,
every frame processed). It prints, per configuration:

- start: seconds from the call to the first result (for Ray: starting a local Ray,
  starting the actors, each loading TensorFlow and the model);
- images/s and frames/s once running: photos (video frames) done divided by the time
  from the first source begun to the last one finished, by the workers' clocks;
- peak RSS of each process that held a recognizer (the local process, or each Ray
  actor; sampled every 0.1 s) and of the Ray driver.

    python benchmarks/batch_throughput.py --images 200 --videos 4 --frames 100

The corpus is written to a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"local": ("local", None), "ray-1": ("ray", 1), "ray-2": ("ray", 2)}  # ray-N: N workers


def make_corpus(root: Path, images: int, videos: int, frames: int) -> tuple[Path, Path]:
    """``root/photos`` with ``images`` JPEGs and ``root/videos`` with ``videos`` MP4s of ``frames`` frames."""
    astro = cv2.imread(str(ROOT / "examples/images/astronaut.png"))
    hopper = cv2.imread(str(ROOT / "examples/images/grace_hopper.jpg"))
    assert astro is not None and hopper is not None, "examples/images is incomplete"
    rng = np.random.default_rng(0)
    photos, clips = root / "photos", root / "videos"
    photos.mkdir(parents=True)
    clips.mkdir(parents=True)
    for i in range(images):
        frame = np.full((480, 640, 3), int(rng.integers(40, 200)), np.uint8)
        for face in (astro, hopper)[: 1 + i % 2]:
            size = int(rng.integers(120, 260))
            img = cv2.resize(face, (size, size))
            if rng.random() < 0.5:
                img = img[:, ::-1]
            x, y = int(rng.integers(0, 640 - size)), int(rng.integers(0, 480 - size))
            frame[y : y + size, x : x + size] = img
        cv2.imwrite(str(photos / f"photo_{i:05d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    a, h = cv2.resize(astro, (260, 260)), cv2.resize(hopper[:560], (220, 240))
    for v in range(videos):
        writer = cv2.VideoWriter(str(clips / f"clip_{v:03d}.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (640, 480))
        for n in range(frames):
            frame = np.full((480, 640, 3), 60 + 10 * v, np.uint8)
            x = 10 + (3 * n) % 100
            frame[100:360, x : x + 260] = a
            frame[180:420, 400:620] = h
            writer.write(frame)
        writer.release()
    return photos, clips


def _proc_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def _peak_rss(pid: int) -> tuple[str, float] | None:
    """The command line and the peak resident memory (VmHWM, MiB) of a live process."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return cmdline[:80], int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssSampler:
    """Peak RSS (the kernel's VmHWM, MiB) of this process and each descendant, read every 0.2 s in a thread."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in _proc_tree(os.getpid()):
                got = _peak_rss(pid)
                if got is not None:
                    old = self.peaks.get(pid, got)
                    self.peaks[pid] = (got[0] if "MapWorker" in got[0] else old[0], max(old[1], got[1]))
            self._stop.wait(0.2)

    def stop(self) -> dict[int, tuple[str, float]]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def _stamp(stamps: list[tuple[float, dict[str, Any]]], result: dict[str, Any]) -> None:
    stamps.append((time.perf_counter(), result))


def run_config(engine: str, workers: int | None, photos: Path, clips: Path, out: Path) -> dict[str, Any]:
    """Both corpora through one configuration in this process; the measurements as a dict."""
    from fer_sdk.batch import run_batch

    sampler = RssSampler()
    row: dict[str, Any] = {}
    for name, folder in (("images", photos), ("frames", clips)):
        stamps: list[tuple[float, dict[str, Any]]] = []
        wall_start = time.time()
        report = run_batch(
            [folder],
            out / name,
            engine=engine,  # type: ignore[arg-type]
            workers=workers,
            chunk_size=256,
            on_result=functools.partial(_stamp, stamps),
        )
        assert report.error == 0 and report.processed == len(stamps), report
        # the workers' own clocks (one machine): from the first source begun to the last one finished
        began = min(float(r["started"]) for _, r in stamps)
        ended = max(float(r["started"]) + float(r["seconds"]) for _, r in stamps)
        units = sum(int(r["frames"]) for _, r in stamps) if name == "frames" else len(stamps)
        row[f"{name}/s"] = units / max(ended - began, 1e-9)
        row[f"start {name}, s"] = began - wall_start
        row[f"{name}: faces"] = report.faces
    peaks = sampler.stop()
    me = os.getpid()
    if engine == "local":
        row["peak RSS per worker, MiB"] = peaks[me][1]
    else:
        actors = [rss for pid, (name, rss) in peaks.items() if pid != me and "MapWorker" in name]
        row["peak RSS per worker, MiB"] = max(actors) if actors else float("nan")
        row["actors seen"] = len(actors)
        row["driver peak RSS, MiB"] = peaks[me][1]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=200, help="photos in the corpus")
    ap.add_argument("--videos", type=int, default=4, help="videos in the corpus")
    ap.add_argument("--frames", type=int, default=100, help="frames per video")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset of: " + ", ".join(CONFIGS))
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one configuration, print JSON
    ap.add_argument("--corpus", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        engine, workers = CONFIGS[args.one]
        with tempfile.TemporaryDirectory() as tmp:
            row = run_config(engine, workers, args.corpus / "photos", args.corpus / "videos", Path(tmp))
        print("RESULT " + json.dumps(row))
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        make_corpus(corpus, args.images, args.videos, args.frames)
        results: dict[str, dict[str, Any]] = {}
        for config in [c.strip() for c in args.configs.split(",")]:
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            cmd = [sys.executable, __file__, "--one", config, "--corpus", str(corpus)]
            res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            line = next((ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if res.returncode != 0 or line is None:
                raise SystemExit(f"{config} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
            results[config] = json.loads(line[len("RESULT ") :])
            print(f"{config}: done", file=sys.stderr)
    print(
        f"corpus: {args.images} photos 640x480, {args.videos} videos x {args.frames} frames 640x480; "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), Python {platform.python_version()}; "
        f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    keys = [
        "images/s",
        "frames/s",
        "start images, s",
        "start frames, s",
        "peak RSS per worker, MiB",
        "driver peak RSS, MiB",
    ]
    width = max(len(k) for k in keys) + 2
    print(f"| {'':<{width}} | " + " | ".join(f"{c:>16}" for c in results) + " |")
    print(f"| {'-' * width} | " + " | ".join("-" * 16 for _ in results) + " |")
    for key in keys:
        cells = []
        for row in results.values():
            value = row.get(key)
            cells.append(f"{'-' if value is None else f'{value:.1f}':>16}")
        print(f"| {key:<{width}} | " + " | ".join(cells) + " |")
    faces = {c: (r["images: faces"], r["frames: faces"]) for c, r in results.items()}
    print(f"faces found (photos, video frames): {faces}")


if __name__ == "__main__":
    main()

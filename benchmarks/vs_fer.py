"""fer_sdk against the ``fer`` package, side by side, on the same frames in one run.

What is measured, for each library, each in its own process:

* end to end: ``EmotionRecognizer().predict(frame)`` vs ``FER().detect_emotions(frame)``
  on the same 640x480 frames with one or two real faces, milliseconds per frame
  (median and 25th-75th percentile over all frames and rounds), face recall and
  false boxes per frame against the known face positions;
* the classifier alone: one crop, and crops per second in batches of 64, on
  crops already cut out and resized (fer: its int8 TFLite mini-Xception, called
  the way ``detect_emotions`` calls it; fer_sdk: the classifier component);
* cold start: the import time, and the time from construction to the first
  result on a photo;
* memory: the peak RSS of a process that loads the recognizer and runs 1,000 frames.

Frames: real photos without faces (scikit-image's sample images) with one or
two FER2013 PublicTest faces pasted in at known places and sizes (48 to 200
pixels), built at run time by ``benchmarks/detector_recall.py`` (no image is
stored in the repository). A detection finds a face when its IoU with the
pasted square is at least 0.3.

``fer`` lives in its own virtual environment, built on the first run (about a
minute, from PyPI) as its maintainers' Haar path needs it: ``fer==25.10.3``
without its dependencies, plus tensorflow-cpu, an OpenCV 4.x wheel and the
small packages it imports. fer_sdk runs in the interpreter that runs this script.

A column ``CLASSIFIER@DETECTOR`` runs fer_sdk with another detector, e.g.
``--classifier keras,keras@blazeface`` adds a column with the ``blazeface``
detector of ``plugins/fer-sdk-blazeface`` (installed in this interpreter).

    pip install -e ".[bench]"       # scikit-image, for the background photos
    python benchmarks/vs_fer.py --data ../shared/datasets/fer2013 [--classifier auto,keras,litert-int8,auto@blazeface]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from peak_memory import peak_rss_mib  # the same measure in both benchmarks

ROOT = Path(__file__).resolve().parents[1]
FER_VENV = ROOT / "runs" / "fer-venv"
FER_PACKAGES = [
    "tensorflow-cpu",
    "opencv-python-headless<5",
    "pandas",
    "setuptools<81",
    "requests",
    "tqdm",
    "moviepy<2",
    "ffmpeg-python",
    "Pillow",
]
BATCH = 64

# ---------------------------------------------------------------------------
# workers: run inside the library's own environment, print one JSON object.
# They import nothing from fer_sdk at module level: the fer environment has no fer_sdk.
# ---------------------------------------------------------------------------


def _read(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    image = cv2.imread(str(path), flags)
    if image is None:
        raise SystemExit(f"could not read {path}")
    return image


def _load_frames(folder: Path) -> list[np.ndarray]:
    return [_read(p) for p in sorted(folder.glob("frame_*.png"))]


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


class _Fer:
    """The ``fer`` package, called as its README shows."""

    def __init__(self) -> None:
        from fer.fer import FER

        self.fer = FER()

    def predict(self, frame: np.ndarray) -> list[list[int]]:
        return [[int(v) for v in face["box"]] for face in self.fer.detect_emotions(frame)]

    def classify(self, crops: np.ndarray) -> Any:
        # detect_emotions' own preprocessing of resized crops, then its classifier
        size = self.fer._FER__emotion_target_size
        faces = np.array([cv2.resize(c, size) for c in crops], dtype="float32")
        return self.fer._classify_emotions((faces / 255.0 - 0.5) * 2.0)


class _Sdk:
    def __init__(self, classifier: str) -> None:
        from classifier_runtimes import classifier_spec

        from fer_sdk import EmotionRecognizer, Frame

        classifier, _, detector = classifier.partition("@")  # CLASSIFIER[@DETECTOR]
        name, options = classifier_spec(classifier)
        self.rec = EmotionRecognizer(detector=detector or "haar", classifier=name, classifier_options=options)
        self.frame = Frame

    def predict(self, frame: np.ndarray) -> list[list[int]]:
        return [[f.box.x, f.box.y, f.box.w, f.box.h] for f in self.rec.predict(frame)]

    def classify(self, crops: np.ndarray) -> Any:
        # the classifier component on crops the preprocessor has prepared
        return self.rec.classifier.predict_proba(self.rec.preprocessor.prepare_crops(list(crops)))


def _make(lib: str, classifier: str) -> _Fer | _Sdk:
    return _Fer() if lib == "fer" else _Sdk(classifier)


def worker(lib: str, folder: Path, rounds: int, classifier: str) -> dict[str, Any]:
    """Time one library on the frames in ``folder``."""
    frames = _load_frames(folder)
    model = _make(lib, classifier)
    for frame in frames[:5]:
        model.predict(frame)
    times: list[float] = []
    boxes: list[list[list[int]]] = []
    for r in range(rounds):
        for frame in frames:
            t0 = time.perf_counter()
            found = model.predict(frame)
            times.append(_ms(t0))
            if r == 0:
                boxes.append(found)
    crops = np.stack([_read(p, cv2.IMREAD_GRAYSCALE) for p in sorted(folder.glob("crop_*.png"))])
    model.classify(crops[:1])
    single = []
    for i in range(200):
        t0 = time.perf_counter()
        model.classify(crops[i % len(crops) : i % len(crops) + 1])
        single.append(_ms(t0))
    batched = []
    for i in range(10):
        batch = crops[(i * BATCH) % (len(crops) - BATCH) :][:BATCH]
        t0 = time.perf_counter()
        model.classify(batch)
        batched.append(BATCH / (time.perf_counter() - t0))
    return {"times": times, "boxes": boxes, "single": single, "batched": batched}


def cold(lib: str, photo: Path, classifier: str) -> dict[str, float]:
    """Import time, and construction to first result on ``photo`` (run in a fresh process)."""
    t0 = time.perf_counter()
    if lib == "fer":
        from fer.fer import FER  # noqa: F401
    else:
        import fer_sdk  # noqa: F401
    imported = _ms(t0)
    img = _read(photo)
    t1 = time.perf_counter()
    _make(lib, classifier).predict(img)
    return {"import_ms": imported, "first_result_ms": _ms(t1)}


def memory(lib: str, folder: Path, n: int, classifier: str) -> dict[str, float]:
    """Peak RSS after loading the recognizer and running ``n`` frames."""
    frames = _load_frames(folder)
    model = _make(lib, classifier)
    for i in range(n):
        model.predict(frames[i % len(frames)])
    return {"peak_rss_mib": peak_rss_mib(), "frames": n}


def versions(lib: str) -> dict[str, str]:
    from importlib.metadata import version

    names = ["numpy", "opencv-python-headless", "tensorflow-cpu" if lib == "fer" else "tensorflow"]
    if lib != "fer":
        names.append("ai-edge-litert")
    names.append("fer" if lib == "fer" else "fer_sdk")
    out = {"python": platform.python_version()}
    if lib != "fer":
        from fer_sdk.runtime import choose_classifier

        choice = choose_classifier()
        out["auto"] = f"{choice.name}: {choice.reason}"
    for name in names:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "-"
    return out


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------


def build_fer_venv(venv: Path) -> Path:
    """Create the ``fer`` environment (once) and return its Python."""
    python = venv / "bin" / "python"
    ok = python.exists() and subprocess.run([python, "-c", "import fer.fer"], capture_output=True).returncode == 0
    if not ok:
        print(f"building {venv} (fer==25.10.3 --no-deps + {' '.join(FER_PACKAGES)}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", "fer==25.10.3"], check=True)
        subprocess.run([*pip, *FER_PACKAGES], check=True)
    return python


def call(python: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    res = subprocess.run(
        [str(python), str(Path(__file__).resolve()), *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if res.returncode != 0:
        raise SystemExit(f"worker {args[:2]} failed:\n{res.stderr[-3000:]}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def score(boxes: list[list[list[int]]], truth: list[list[list[int]]]) -> tuple[float, float]:
    """Recall and false boxes per frame, scored as ``benchmarks/detector_recall.py`` scores."""
    from detector_recall import match

    from fer_sdk import Box

    def as_boxes(rows: list[list[int]]) -> list[Box]:
        return [Box(x=x, y=y, w=w, h=h) for x, y, w, h in rows]

    found = false = 0
    for got, want in zip(boxes, truth, strict=True):
        hits, n_false = match(as_boxes(got), as_boxes(want))
        found, false = found + len(hits), false + n_false
    return found / max(1, sum(len(w) for w in truth)), false / max(1, len(boxes))


def spread(values: list[float], digits: int = 2) -> str:
    q = statistics.quantiles(values, n=4)
    return f"{statistics.median(values):.{digits}f} [{q[0]:.{digits}f}-{q[2]:.{digits}f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets" / "fer2013")
    ap.add_argument("--frames", type=int, default=200, help="frames (one or two faces each)")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the frames per library, taken in turns")
    ap.add_argument("--memory-frames", type=int, default=1000)
    ap.add_argument("--fer-venv", type=Path, default=FER_VENV)
    ap.add_argument(
        "--classifier",
        default="auto",
        help="fer_sdk classifiers, comma-separated; NAME:MODEL sets the model option, @DETECTOR the detector; "
        "auto: the default (litert on a machine without a GPU), e.g. auto,keras,litert-int8,auto@blazeface",
    )
    ap.add_argument("--worker", choices=["fer", "sdk"], help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=["time", "cold", "memory", "versions"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        if args.mode == "time":
            out: dict[str, Any] = worker(args.worker, args.dir, args.rounds, args.classifier)
        elif args.mode == "cold":
            out = cold(args.worker, args.dir / "photo.png", args.classifier)
        elif args.mode == "memory":
            out = memory(args.worker, args.dir, args.memory_frames, args.classifier)
        else:
            out = versions(args.worker)
        print(json.dumps(out))
        return

    sys.path.insert(0, str(Path(__file__).parent))
    from classifier_runtimes import cpu_model
    from detector_recall import make_frames

    from fer_sdk.datasets import load_image_folders

    if not (args.data / "PublicTest").is_dir():
        raise SystemExit(f"FER2013 not found at {args.data}: pass --data (the folder holding PublicTest/)")
    load_start = os.getloadavg()[0]
    faces = load_image_folders(args.data, "PublicTest").images[..., 0]
    fer_python = build_fer_venv(args.fer_venv)
    frames = make_frames(faces, args.frames)
    truth = [[[b.x, b.y, b.w, b.h] for b in boxes] for _, boxes in frames]
    n_faces = sum(len(t) for t in truth)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, (frame, _) in enumerate(frames):
            cv2.imwrite(str(folder / f"frame_{i:04d}.png"), frame)
        for i, face in enumerate(faces[:512]):
            cv2.imwrite(str(folder / f"crop_{i:04d}.png"), face)
        cv2.imwrite(str(folder / "photo.png"), _read(ROOT / "examples" / "images" / "astronaut.png"))

        common = ["--dir", str(folder), "--memory-frames", str(args.memory_frames)]
        runs = {"fer": (fer_python, "fer", "-")}
        for name in args.classifier.split(","):
            runs[f"fer_sdk {name}"] = (Path(sys.executable), "sdk", name)
        res: dict[str, dict[str, Any]] = {run: {} for run in runs}
        # the libraries take turns, one pass over the frames each (a process per pass), so
        # that a machine that speeds up or slows down during the run moves them alike
        for mode, passes in (("versions", 1), ("cold", 1), ("time", args.rounds), ("memory", 1)):
            for i in range(passes):
                for run, (python, lib, classifier) in runs.items():
                    print(f"  {run}: {mode} {i + 1}/{passes} ...", file=sys.stderr, flush=True)
                    how = ["--worker", lib, "--mode", mode, "--classifier", classifier, "--rounds", "1"]
                    out = call(python, *how, *common)
                    if i == 0:
                        res[run][mode] = out
                    else:  # later passes add their timings (the boxes are those of the first)
                        for key in ("times", "single", "batched"):
                            res[run][mode][key] += out[key]

    cols = list(runs)
    print(
        f"fer_sdk vs fer: {len(frames)} frames of 640x480 with {n_faces} real faces (48-200 px), {args.rounds} rounds"
    )
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    # other work on the machine slows every column; the comparison within one run stays fair-ish
    print(f"load average (1 min) at the start / end of the run: {load_start:.1f} / {os.getloadavg()[0]:.1f}")
    for run in ("fer", cols[1]):
        print(f"{run.split()[0]:8s}: " + ", ".join(f"{k} {v}" for k, v in res[run]["versions"].items()))
    print("fer: FER() defaults (Haar on the full frame, int8 TFLite mini-Xception); fer_sdk: EmotionRecognizer()")
    print("with its default detector (or the one after @) and the classifier named in the column header")
    print(f"(auto: the default, here {res[cols[1]]['versions'].get('auto', '-')})")
    print()

    for r in res.values():
        r["score"] = score(r["time"]["boxes"], truth)

    def row(label: str, cell: Any) -> tuple[str, list[str]]:
        return label, [cell(res[c]) for c in cols]

    rows = [
        row("end to end, ms/frame", lambda r: spread(r["time"]["times"])),
        row("frames per second", lambda r: f"{1000 / statistics.median(r['time']['times']):.1f}"),
        row("face recall", lambda r: f"{r['score'][0]:.3f}"),
        row("false boxes per frame", lambda r: f"{r['score'][1]:.3f}"),
        row("classifier, 1 crop, ms", lambda r: spread(r["time"]["single"])),
        row(f"classifier, crops/s (batch {BATCH})", lambda r: spread(r["time"]["batched"], 0)),
        row("import, ms", lambda r: f"{r['cold']['import_ms']:.0f}"),
        row("construction to first result, ms", lambda r: f"{r['cold']['first_result_ms']:.0f}"),
        row(f"peak RSS after {args.memory_frames} frames, MiB", lambda r: f"{r['memory']['peak_rss_mib']:.0f}"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"| {'':{width}s} | " + " | ".join(f"{c:>22s}" for c in cols) + " |")
    print(f"| {'-' * width} | " + " | ".join("-" * 22 for _ in cols) + " |")
    for label, cells in rows:
        print(f"| {label:{width}s} | " + " | ".join(f"{c:>22s}" for c in cells) + " |")
    print("\nmedians, [25th-75th percentile]")
    fer_ms = statistics.median(res["fer"]["time"]["times"])
    for c in cols[1:]:
        print(f"end to end, {c} is {fer_ms / statistics.median(res[c]['time']['times']):.1f}x as fast as fer")


if __name__ == "__main__":
    main()

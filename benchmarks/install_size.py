"""What each install brings, and how fast ``fer-sdk predict`` answers on it.

For each install (``pip install .`` and, with ``--full``, ``pip install ".[test]"``), in a
fresh virtual environment under a temporary folder (deleted afterwards):

* the size of the virtual environment on disk (as ``du -sh`` counts it) and its largest packages;
* whether TensorFlow is in it, and which classifier ``EmotionRecognizer()`` runs there and why;
* the wall time of ``fer-sdk predict IMAGE`` as a new process (start of the command to its
  exit: Python start-up, imports, loading the model, detecting and classifying), the median
  of ``--runs`` runs after one unmeasured run (which fills the OS file cache); where
  TensorFlow is installed, also with ``--classifier keras``, for comparison;
* ``fer-sdk train`` without TensorFlow: the exit status and the first line of its message.

    python benchmarks/install_size.py [--full] [--runs 5] [--image examples/images/astronaut.png]
    python benchmarks/install_size.py --here   # only the fer-sdk predict timings, in this environment

pip's cache makes the installs a few minutes each; nothing else is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_size(path: Path) -> int:
    """Bytes on disk under ``path`` (allocated blocks, as ``du`` counts them; links not followed)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def largest(venv: Path, n: int = 6) -> str:
    sizes = []
    for entry in site_packages(venv).iterdir():
        if entry.is_dir() and not entry.name.endswith((".dist-info", "__pycache__")):
            sizes.append((tree_size(entry), entry.name))
    return ", ".join(f"{name} {mib(size)}" for size, name in sorted(sizes, reverse=True)[:n])


def timed_cli(python: Path, args: list[str], runs: int) -> tuple[str, str]:
    """``fer-sdk ARGS`` in new processes: a line with the median wall and CPU seconds and every run; the output.

    The line also gives the CPU time (user + system) of each run: on a machine shared with
    other work the wall time grows with the wait for a core, the CPU time much less.
    """
    import resource

    cli = python.parent / "fer-sdk"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    out = ""
    times, cpu = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run([str(cli), *args], capture_output=True, text=True, env=env, cwd=ROOT)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if res.returncode != 0:
            raise SystemExit(f"fer-sdk {' '.join(args)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
        out = res.stdout.strip()
        if i:  # the first run fills the file cache
            times.append(elapsed)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    runs_s = ", ".join(f"{t:.2f}" for t in times)
    line = (
        f"median {statistics.median(times):.2f} s wall over {runs} runs ({runs_s}); "
        f"CPU time (user + system) median {statistics.median(cpu):.2f} s"
    )
    return line, out


def measure(spec: str, image: Path, runs: int, workdir: Path) -> None:
    venv = workdir / ("venv-" + ("lean" if spec == "." else "full"))
    print(f"\n== pip install '{spec}' (in {venv.name}) ==", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    t0 = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", spec], check=True, cwd=ROOT
    )
    print(f"installed in {time.perf_counter() - t0:.0f} s")
    print(f"virtual environment: {mib(tree_size(venv))} on disk; largest packages: {largest(venv)}")
    probe = (
        "import importlib.util as u, fer_sdk, fer_sdk.runtime as r;"
        "c = r.choose_classifier(); print(u.find_spec('tensorflow') is not None, c.name, '|', c.reason)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    has_tf, _, rest = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=True, cwd="/", env=env
    ).stdout.partition(" ")
    print(f"TensorFlow installed: {has_tf}; EmotionRecognizer() classifier: {rest.strip()}")
    line, out = timed_cli(python, ["predict", str(image)], runs)
    print(f"fer-sdk predict {image.name}: {line}")
    print(f"  {out.splitlines()[0] if out else '(no output)'}")
    if has_tf == "True":  # the same command on TensorFlow, for comparison
        line, _ = timed_cli(python, ["predict", str(image), "--classifier", "keras"], runs)
        print(f"fer-sdk predict {image.name} --classifier keras: {line}")
    else:
        res = subprocess.run(
            [str(venv / "bin" / "fer-sdk"), "train", "--data", str(workdir), "--out", str(workdir / "run")],
            capture_output=True,
            text=True,
            env=env,
        )
        print(f"fer-sdk train without TensorFlow: exit {res.returncode}: {res.stderr.strip().splitlines()[0]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also measure pip install '.[test]' (everything)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--image", type=Path, default=ROOT / "examples" / "images" / "astronaut.png")
    ap.add_argument("--here", action="store_true", help="no new environments: time fer-sdk predict in this one")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {os.uname().sysname} {os.uname().machine}")
    if args.here:
        python = Path(sys.executable)
        for extra in ([], ["--classifier", "keras"]):
            line, _ = timed_cli(python, ["predict", str(args.image.resolve()), *extra], args.runs)
            print(f"fer-sdk predict {args.image.name} {' '.join(extra)}: {line}")
        return
    with tempfile.TemporaryDirectory(prefix="fer-sdk-install-") as tmp:
        for spec in [".", ".[test]"] if args.full else ["."]:
            measure(spec, args.image.resolve(), args.runs, Path(tmp))


if __name__ == "__main__":
    main()

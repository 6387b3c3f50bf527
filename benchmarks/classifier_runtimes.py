"""Classifier runtimes on this CPU: Keras (fp32, bf16) against the LiteRT plugin (fp32, int8) and ONNX Runtime.

For each runtime: cold start (importing the runtime, loading the model and the
first result on one crop, in a fresh process), the peak resident memory of that process
right after (``VmHWM``: Python, NumPy and the runtime with its model), single-crop
latency (median and interquartile range of ``predict_proba`` on one prepared 48x48 face), throughput in crops/s for
batches of 1, 8, 64 and 256, and, when the FER2013 images are present,
PublicTest accuracy and the share of faces whose top label equals the Keras
fp32 model's. Each runtime runs in its own process (TensorFlow's global
settings and thread pools stay apart); all use the same prepared faces, made by
fer_sdk's own preprocessor.

Rows:

* ``keras fp32``: the core classifier in float32 (``precision="float32"``), batch
  norms folded, single crops compiled with XLA (its defaults);
* ``keras bf16``: the same in bfloat16 (``precision="bfloat16"``; only useful on CPUs
  with AVX512-BF16 / AMX). The default, ``precision="auto"``, is fp32 for one crop
  and bf16 for two and more, where the CPU has bfloat16 units;
* ``keras fp32 as saved``: float32 without those two (``fold_batchnorm=False``,
  ``xla_single_crop=False``): the model run as Keras saved it;
* ``litert``: fer_sdk's ``litert`` classifier with its defaults (what ``EmotionRecognizer()``
  runs on a machine without a GPU): on CPUs with int8 dot-product instructions the preset's
  int8 LiteRT file, then its float32 file on the crops whose two best scores are within
  ``recheck_margin`` (0.1); elsewhere the float32 file alone;
* ``litert fp32``: the same classifier with ``int8=False``: the float32 file alone;
* ``litert int8``: the fer-sdk-litert plugin's ``litert-int8`` (skipped when the plugin
  is not installed);
* ``onnxruntime fp32``: an ONNX export run by onnxruntime (skipped unless
  tf2onnx and onnxruntime are installed).

    python benchmarks/classifier_runtimes.py [--data DIR] [--seconds 1.0] [--only litert-int8,keras-fp32]

Takes about two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from peak_memory import peak_rss_mib  # the same measure in both benchmarks

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = [
    "keras-fp32",
    "keras-bf16",
    "keras-fp32-as-saved",
    "litert",
    "litert-fp32",
    "litert-int8",
    "onnxruntime-fp32",
]
BATCHES = (1, 8, 64, 256)


# worker: one runtime in its own process --------------------------------------------------
def make_classifier(name: str, workdir: Path) -> Callable[[np.ndarray], np.ndarray]:
    """``predict_proba`` of the runtime ``name``."""
    if name.startswith("keras"):
        from fer_sdk.builtin.keras_cnn import KerasClassifier

        as_saved = {"fold_batchnorm": False, "xla_single_crop": False} if name == "keras-fp32-as-saved" else {}
        precision = "bfloat16" if name == "keras-bf16" else "float32"
        keras_clf = KerasClassifier(batch_size=256, precision=precision, **as_saved)
        keras_clf.load()
        return keras_clf.predict_proba
    if name in ("litert", "litert-fp32"):
        from fer_sdk.builtin.litert import LiteRTClassifier

        litert_clf = LiteRTClassifier(int8=name == "litert")
        litert_clf.load()
        return litert_clf.predict_proba
    if name == "litert-int8":
        from fer_sdk_litert import LiteRTInt8Classifier

        int8_clf = LiteRTInt8Classifier()
        int8_clf.load()
        return int8_clf.predict_proba
    if name == "onnxruntime-fp32":
        import onnxruntime as ort

        from fer_sdk.export import export_model

        path = workdir / "onnx" / "model.onnx"
        if not path.is_file():  # exported by the parent, so that the cold start is the runtime's own
            export_model(out=path, overwrite=True)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(4, len(os.sched_getaffinity(0)))
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return lambda batch: session.run(None, {"input": batch})[0]
    raise SystemExit(f"unknown runtime {name}")


def worker(name: str, workdir: Path, seconds: float) -> dict[str, Any]:
    data = np.load(workdir / "faces.npz")
    faces = data["faces"]
    t0 = time.perf_counter()
    predict = make_classifier(name, workdir)
    predict(np.ascontiguousarray(faces[:1]))
    result: dict[str, Any] = {"name": name, "cold_ms": (time.perf_counter() - t0) * 1000}
    result["rss_mib"] = peak_rss_mib()
    if "publictest" in data:
        test = data["publictest"]
        probs = np.concatenate([predict(test[i : i + 256]) for i in range(0, len(test), 256)])
        np.save(workdir / f"probs-{name}.npy", probs)
    one = np.ascontiguousarray(faces[:1])
    for _ in range(20):
        predict(one)
    times = []
    for _ in range(300):
        t0 = time.perf_counter()
        predict(one)
        times.append((time.perf_counter() - t0) * 1000)
    q1, _, q3 = statistics.quantiles(times, n=4)
    result["single_ms"] = (statistics.median(times), q1, q3)
    for size in BATCHES:
        batch = np.ascontiguousarray(faces[:size])
        predict(batch)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            predict(batch)
            count += size
        result[f"batch{size}"] = count / (time.perf_counter() - t0)
    return result


# parent: prepare, run the workers, print the table --------------------------------------
def classifier_spec(spec: str) -> tuple[str, dict[str, str]]:
    """A classifier named on a benchmark's command line: ``litert:DIR`` is ``litert`` with ``model="DIR"``."""
    name, _, model = spec.partition(":")
    return name, ({"model": model} if model else {})


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "-"


def prepare(workdir: Path, data: Path | None) -> tuple[np.ndarray | None, list[str]]:
    import cv2

    from fer_sdk.builtin.keras_cnn import KerasClassifier
    from fer_sdk.builtin.preprocess import StandardPreprocessor

    labels = list(KerasClassifier().labels)
    pre = StandardPreprocessor()
    astro = np.asarray(cv2.imread(str(ROOT / "examples/images/astronaut.png")))
    hopper = np.asarray(cv2.imread(str(ROOT / "examples/images/grace_hopper.jpg")))
    crops = [astro[55:175, 165:285], hopper[80:400, 150:450]]
    rng = np.random.default_rng(0)
    faces = pre.prepare_crops([crops[i % 2] for i in range(256)])
    faces = np.clip(faces + rng.normal(0, 0.02, faces.shape).astype(np.float32), 0, 1)  # 256 distinct crops
    arrays: dict[str, np.ndarray] = {"faces": faces}
    truth = None
    if data is not None and (data / "PublicTest").is_dir():
        from fer_sdk.datasets import load_split

        ds = load_split(data, "PublicTest", labels, size=48)
        arrays["publictest"] = pre.prepare_crops(list(ds.images[..., 0]))
        truth = np.asarray(ds.labels)
    np.savez(workdir / "faces.npz", **arrays)  # type: ignore[arg-type]
    return truth, labels


def available(name: str) -> str | None:
    """Why ``name`` cannot run here, or None."""
    import importlib.util

    needs = {
        "litert": ["ai_edge_litert"],
        "litert-fp32": ["ai_edge_litert"],
        "litert-int8": ["fer_sdk_litert"],
        "onnxruntime-fp32": ["onnxruntime"],
    }
    missing = [m for m in needs.get(name, []) if importlib.util.find_spec(m) is None]
    return f"not installed: {', '.join(missing)}" if missing else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("FER_SDK_DATA", ROOT.parent / "shared/datasets/fer2013"))
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="time per batch size")
    parser.add_argument("--only", default=",".join(RUNTIMES), help="comma-separated runtimes")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.worker:
        print(json.dumps(worker(args.worker, args.workdir, args.seconds)))
        return

    names = [n.strip() for n in args.only.split(",") if n.strip()]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="fer-bench-") as tmp:
        workdir = Path(tmp)
        truth, _ = prepare(workdir, args.data)
        if "onnxruntime-fp32" in names and available("onnxruntime-fp32") is None:
            import importlib.util

            if importlib.util.find_spec("tf2onnx") is None:
                names.remove("onnxruntime-fp32")
                skipped["onnxruntime-fp32"] = "not installed: tf2onnx (to export the model)"
            else:
                from fer_sdk.export import export_model

                export_model(out=workdir / "onnx" / "model.onnx", overwrite=True)
        for name in names:
            why = available(name)
            if why:
                skipped[name] = why
                continue
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", name, "--workdir", str(workdir), "--seconds", str(args.seconds)],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                skipped[name] = (
                    f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
                )
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            res["wall_s"] = time.perf_counter() - t0
            results.append(res)
        reference = workdir / "probs-keras-fp32.npy"
        ref = np.load(reference).argmax(1) if reference.is_file() else None
        for res in results:
            probs_path = workdir / f"probs-{res['name']}.npy"
            if truth is not None and probs_path.is_file():
                top = np.load(probs_path).argmax(1)
                res["accuracy"] = float((top == truth).mean())
                res["agreement"] = float((top == ref).mean()) if ref is not None else None

    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cpu_model()}, {cores} usable cores ({os.cpu_count()} online), {platform.system()}")
    print(
        f"versions: python {platform.python_version()}, fer_sdk {version('fer_sdk')}, "
        f"tensorflow {version('tensorflow')}, keras {version('keras')}, "
        f"ai-edge-litert {version('ai-edge-litert')}, onnxruntime {version('onnxruntime')}, "
        f"fer-sdk-litert {version('fer-sdk-litert')}"
    )
    print()
    header = "| runtime | cold start, ms | RSS, MiB | 1 crop, median (IQR) ms | "
    header += " | ".join(f"batch {b}, crops/s" for b in BATCHES)
    header += " | PublicTest acc. | same top label as Keras |"
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for res in results:
        med, q1, q3 = res["single_ms"]
        acc = f"{res['accuracy']:.2%}" if res.get("accuracy") is not None else "n/a"
        agree = f"{res['agreement']:.2%}" if res.get("agreement") is not None else "n/a"
        row = f"| {res['name']} | {res['cold_ms']:.0f} | {res['rss_mib']:.0f} | {med:.2f} ({q1:.2f}-{q3:.2f}) | "
        row += " | ".join(f"{res[f'batch{b}']:.0f}" for b in BATCHES) + f" | {acc} | {agree} |"
        print(row)
    for name, why in skipped.items():
        print(f"({name} skipped: {why})")
    if truth is None:
        print(f"(no PublicTest accuracy: FER2013 images not found at {args.data}; pass --data or set FER_SDK_DATA)")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "skipped": skipped}, indent=2))


if __name__ == "__main__":
    main()

"""Every code sample of the documentation is a real file, and every runnable one runs here.

Pages include code with ``--8<-- "path"`` (pymdownx.snippets). The first two tests
keep it that way: a fenced block written inline in a page (other than ``text``,
used for printed output and syntax summaries) fails, and so does an included
script under ``examples/`` or ``docs/snippets/`` that no test names. The other
tests run the shell snippets (``docs/snippets/*.sh``) command by command, as
written, in a scratch folder laid out like a checkout (``examples/``, ``docs/``,
``plugins/``, ``fer_sdk/`` and ``../shared/datasets/fer2013`` beside it), with the
virtual environment's ``bin`` first on ``PATH``, and check what they print and write.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import pytest
import yaml
from test_ferplus import make_ferplus

from conftest import fer2013_root
from fer_sdk.train.sample import sample_fer2013, standin_fer2013

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"
BIN = Path(sys.executable).parent
FER7 = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

INCLUDE_RE = re.compile(r'^\s*-{1,3}8<-{1,3}\s+"([^"]+)"\s*$')
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
OUTPUT_LANGS = {"text"}  # printed output and syntax summaries; everything else must be an included file
RUNNABLE_DIRS = ("examples/", "docs/snippets/")


# helpers ---------------------------------------------------------------------------------------------------------
def code_blocks(page: Path) -> list[tuple[int, str, list[str]]]:
    """``(line number, language, body lines)`` of every fenced code block of a Markdown page."""
    blocks: list[tuple[int, str, list[str]]] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if m is None:
            i += 1
            continue
        _, fence, lang = m.groups()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i])
            i += 1
        blocks.append((start, lang, body))
        i += 1
    return blocks


def included_files() -> dict[str, list[str]]:
    """Every path included by a page, with the pages including it."""
    found: dict[str, list[str]] = {}
    for page in sorted(DOCS.rglob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            m = INCLUDE_RE.match(line)
            if m:
                found.setdefault(m.group(1), []).append(str(page.relative_to(ROOT)))
    return found


def shell_commands(script: Path) -> list[str]:
    """The commands of a shell snippet: continuation lines joined, blank lines and comments dropped."""
    text = script.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def env_with(bin_dir: Path = BIN, **extra: str) -> dict[str, str]:
    """The environment the commands run in: ``bin_dir`` first on PATH, quiet TensorFlow."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.update(extra)
    return env


def run_snippet(name: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> list[str]:
    """Run each command of ``docs/snippets/<name>`` with bash in ``cwd``; all must succeed. Returns their output."""
    outputs = []
    for command in shell_commands(SNIPPETS / name):
        res = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env or env_with(), capture_output=True, text=True, timeout=timeout
        )
        assert res.returncode == 0, f"{name}: `{command}` exited with {res.returncode}\n{res.stdout}\n{res.stderr}"
        outputs.append(res.stdout + res.stderr)
    return outputs


def small_fer2013(dest: Path) -> Path:
    """A small data set in the FER2013 image-folder layout: a sample of the real one when present, else noise."""
    real = fer2013_root()
    return sample_fer2013(real, dest, 12) if real is not None else standin_fer2013(dest, 12)


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    """A scratch folder laid out like the repository root, with ``../shared/datasets/`` beside it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("examples", "docs", "plugins", "fer_sdk"):
        (repo / name).symlink_to(ROOT / name)
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    return repo


def use_data(checkout: Path, *, real_if_present: bool = False) -> Path:
    """Put FER2013 at ``../shared/datasets/fer2013``: the real folder (if asked and present) or a small sample."""
    target = checkout.parent / "shared" / "datasets" / "fer2013"
    real = fer2013_root()
    if real_if_present and real is not None:
        target.symlink_to(real)
    else:
        small_fer2013(target)
    return target


def scratch_venv(where: Path) -> Path:
    """A throwaway virtual environment that sees this one's packages, for commands that ``pip install``.

    It has its own site-packages (what the commands install goes there and is thrown away) and a
    ``.pth`` file pointing at this environment's, so fer_sdk and its dependencies are there without
    a download. ``pip`` and ``fer-sdk`` in its ``bin`` run those of this environment.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = next(where.glob("lib/python*/site-packages"))
    parent = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "parent-env.pth").write_text("\n".join(parent) + "\n")
    for script, module in (("pip", "pip"), ("fer-sdk", "fer_sdk")):
        exe = where / "bin" / script
        exe.write_text(f'#!/bin/sh\nexec "$(dirname "$0")/python" -m {module} "$@"\n')
        exe.chmod(0o755)
    return where / "bin"


# every sample is a file, and every runnable file is run -----------------------------------------------------------
def test_code_blocks_are_included_files() -> None:
    inline = []
    for page in sorted(DOCS.rglob("*.md")):
        for line, lang, body in code_blocks(page):
            if lang in OUTPUT_LANGS:
                continue
            if not body or not all(INCLUDE_RE.match(b) for b in body if b.strip()):
                inline.append(f"{page.relative_to(ROOT)}:{line} ({lang or 'no language'})")
    assert not inline, (
        "code written inline in a page (put it in a file under examples/ or docs/snippets/, include it with "
        '--8<-- "path" and run it in a test; use ```text only for printed output):\n' + "\n".join(inline)
    )


def test_included_files_exist_and_the_runnable_ones_are_run_by_a_test() -> None:
    files = included_files()
    assert files, 'no page includes a file: is the include syntax still --8<-- "path"?'
    missing = [f"{path} (in {', '.join(pages)})" for path, pages in files.items() if not (ROOT / path).is_file()]
    assert not missing, "included files that do not exist:\n" + "\n".join(missing)
    test_files = [*(ROOT / "tests").glob("test_*.py"), *(ROOT / "plugins").glob("*/tests/test_*.py")]
    tests = "".join(p.read_text(encoding="utf-8") for p in test_files)
    # a script also counts as run when a shell snippet that a test runs calls it
    run_by_shell = "".join(sh.read_text(encoding="utf-8") for sh in SNIPPETS.glob("*.sh") if f'"{sh.name}"' in tests)
    unrun = []
    for path in files:
        if not path.startswith(RUNNABLE_DIRS) or Path(path).suffix not in {".py", ".sh"}:
            continue
        parts = Path(path).parts
        names = {"/".join(parts[i:]) for i in range(len(parts))}
        if not any(f'"{n}"' in tests for n in names) and path not in run_by_shell:
            unrun.append(path)
    assert not unrun, "included scripts that no test runs (name them in a test):\n" + "\n".join(unrun)


PAGE_WIDTH = 88  # characters of code the documentation's pages show without scrolling sideways


def test_included_files_fit_the_page_width() -> None:
    """Code in the docs reads without scrolling: examples/ and docs/snippets/ are formatted at 88 (their ruff.toml)."""
    wide = []
    for path in included_files():
        for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), start=1):
            if len(line) > PAGE_WIDTH:
                wide.append(f"{path}:{number}: {len(line)} characters")
    assert not wide, f"lines wider than {PAGE_WIDTH} characters in files the docs show:\n" + "\n".join(wide)
    for folder in ("examples", "docs/snippets"):  # ruff keeps them so: format and lint at the page's width
        config = (ROOT / folder / "ruff.toml").read_text(encoding="utf-8")
        assert f"line-length = {PAGE_WIDTH}" in config and "extend = " in config, folder


def test_shell_commands_are_parsed_as_written(tmp_path: Path) -> None:
    script = tmp_path / "x.sh"
    script.write_text("# comment\nfer-sdk a \\\n    --b c\n\npython d.py\n")
    assert shell_commands(script) == ["fer-sdk a      --b c", "python d.py"]


# pages, in nav order -----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_install_command_resolves_offline(tmp_path: Path) -> None:
    bin_dir = scratch_venv(tmp_path / "venv")
    env = env_with(bin_dir, PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PIP_DRY_RUN="1", PIP_NO_DEPS="1")
    (out,) = run_snippet("install.sh", ROOT, env)
    assert "Would install fer_sdk" in out or "Would install fer-sdk" in out, out
    with_gpu, devices = run_snippet("install-gpu.sh", ROOT, env)
    assert "Would install fer" in with_gpu and "does not provide the extra" not in with_gpu, with_gpu
    assert devices.strip().startswith("["), devices  # [] on a machine without a GPU


@pytest.mark.slow
def test_first_prediction_and_predict_commands(checkout: Path) -> None:
    quick = subprocess.run(
        [sys.executable, str(SNIPPETS / "quickstart.py")], cwd=checkout, env=env_with(), capture_output=True, text=True
    )
    assert quick.returncode == 0 and " happy " in quick.stdout, quick.stdout + quick.stderr
    (out,) = run_snippet("first-prediction.sh", checkout)
    assert "emotion: happy" in out and (checkout / "astronaut-annotated.png").stat().st_size > 10_000
    text, as_json = run_snippet("predict-cli.sh", checkout)
    assert "examples/images/astronaut.png: face 0" in text and " happy " in text
    face = json.loads(as_json.strip().splitlines()[0])
    assert face["emotion"] == "happy" and set(face["scores"]) == set(FER7)
    assert cv2.imread(str(checkout / "out.png")).shape == (512, 512, 3)


@pytest.mark.slow
def test_video_tutorial_commands(checkout: Path) -> None:
    made, out = run_snippet("video-python.sh", checkout)  # the tutorial makes its own clip.mp4
    assert made.strip() == "wrote clip.mp4: 40 frames of 640x480 at 10 fps"
    assert out.count("frame ") == 20 and "track 0: mostly" in out
    run_snippet("video-cli.sh", checkout)
    frames = [json.loads(line) for line in (checkout / "results.jsonl").read_text().splitlines()]
    assert [f["index"] for f in frames] == list(range(0, 40, 2))
    assert (checkout / "annotated.mp4").stat().st_size > 1000
    assert (checkout / "timeline.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_plugin_tutorial_from_template_to_use_by_name(checkout: Path, tmp_path: Path) -> None:
    run_snippet("plugin-copy.sh", checkout)
    plugin = checkout / "my-fer-plugin"
    assert (plugin / "src" / "my_fer_plugin" / "__init__.py").is_file() and not (plugin / "tests").exists()
    # the edits the tutorial makes: the two files it shows
    mine = SNIPPETS / "my-fer-plugin"
    shutil.copyfile(mine / "pyproject.toml", plugin / "pyproject.toml")
    shutil.copyfile(mine / "src/my_fer_plugin/__init__.py", plugin / "src/my_fer_plugin/__init__.py")
    shutil.copyfile(SNIPPETS / "use_my_plugin.py", checkout / "use_my_plugin.py")
    # pip needs no network: hatchling comes from this environment instead of an isolated build one
    env = env_with(scratch_venv(tmp_path / "venv"), PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0")
    run_snippet("plugin-install.sh", checkout, env)
    listing, predicted = run_snippet("plugin-check.sh", checkout, env)
    assert re.search(r"frontal-and-profile\s+my-fer-plugin 0\.1\.0", listing), listing
    assert "examples/images/grace_hopper.jpg: face 0" in predicted and " neutral " in predicted
    (used,) = run_snippet("plugin-use.sh", checkout, env)
    assert "frontal-and-profile comes from my-fer-plugin 0.1.0" in used
    assert "detector 'frontal-and-profile' (plugin 'profile', my-fer-plugin 0.1.0)" in used
    assert re.search(r"face at \(\d+, \d+, \d+, \d+\): neutral", used), used


@pytest.mark.slow
def test_retrain_tutorial(checkout: Path) -> None:
    use_data(checkout, real_if_present=True)
    trained, predicted = run_snippet("retrain.sh", checkout)
    assert "trained 1 epoch(s) on" in trained and "model folder: runs/tutorial" in trained
    assert "labels: angry, disgust, fear, happy, sad, surprise, neutral" in trained
    assert "with the new model" in trained
    meta = json.loads((checkout / "runs" / "tutorial" / "metadata.json").read_text())
    assert meta["labels"] == list(FER7) and meta["arch"] == "fernet"
    assert "examples/images/astronaut.png: face 0" in predicted


@pytest.mark.slow
def test_evaluate_tutorial_commands(checkout: Path) -> None:
    use_data(checkout)
    (report,) = run_snippet("evaluate.sh", checkout)
    assert "accuracy" in report and "21 images" in report.replace("(", " ")
    # the path of each picture it wrote
    assert "confusion matrix image: confusion.png" in report and "per-class accuracy image: per-class.png" in report
    for png in ("confusion.png", "per-class.png"):
        assert (checkout / png).read_bytes()[:4] == b"\x89PNG"
    run_snippet("featuremaps.sh", checkout)
    assert cv2.imread(str(checkout / "maps.png")) is not None


# train.sh's folders: the four FER2013 cycles, then the FER+ cycle
RUNS = ("fernet_fer7", "fernet_fer7_c2", "fernet_fer7_c3", "fernet_fer7_c4", "fernet_fer7_ferplus")
RECIPES = ("fernet_fer7", "fernet_fer7_cycle2", "fernet_fer7_cycle3", "fernet_fer7_cycle4", "fernet_fer7_ferplus")


@pytest.mark.slow
def test_train_howto_commands(checkout: Path) -> None:
    """The how-to's commands as written; the recipe in the scratch checkout is shortened to one small epoch."""
    use_data(checkout)
    (checkout / "fer_sdk").unlink()
    recipes = checkout / "fer_sdk" / "train" / "recipes"
    recipes.mkdir(parents=True)
    make_ferplus(checkout.parent / "shared" / "datasets" / "ferplus", "FER2013Train", copies=4)
    make_ferplus(checkout.parent / "shared" / "datasets" / "ferplus", "FER2013Valid")
    for name in (*RECIPES, "fernet_fer7_ferplus_scratch"):
        recipe = yaml.safe_load((ROOT / "fer_sdk/train/recipes" / f"{name}.yaml").read_text())
        recipe.update(epochs=1, batch_size=16, warmup_epochs=0)
        (recipes / f"{name}.yaml").write_text(yaml.safe_dump(recipe))
    trained, cycle2, cycle3, cycle4, ferplus = run_snippet("train.sh", checkout)
    out = checkout / "runs" / "fernet_fer7"
    assert "epoch 1:" in trained, trained
    assert (out / "model.keras").is_file() and (out / "history.csv").read_text().count("\n") == 2
    assert "starting from the weights of runs/fernet_fer7" in cycle2, cycle2
    assert "starting from the weights of runs/fernet_fer7_c2" in cycle3, cycle3
    assert "starting from the weights of runs/fernet_fer7_c3" in cycle4, cycle4
    assert "starting from the weights of runs/fernet_fer7_c4" in ferplus and "train: 16 images" in ferplus, ferplus
    c1, c2, c3, c4, c5 = (json.loads((checkout / "runs" / run / "metadata.json").read_text()) for run in RUNS)
    # each cycle's metadata names the model it started from, nested back to the first cycle
    assert c2["training"]["init_from"]["sha256"] == c1["sha256"]
    assert c3["training"]["init_from"]["sha256"] == c2["sha256"]
    assert c3["training"]["init_from"]["training"]["init_from"]["sha256"] == c1["sha256"]
    assert c4["training"]["init_from"]["sha256"] == c3["sha256"]
    assert c4["training"]["config"]["augment"]["geometric_prob"] == 0.5  # the fourth cycle warps half the images
    assert c5["training"]["init_from"]["sha256"] == c4["sha256"] and "FER+ votes" in c5["training_data"]["targets"]
    assert set(c5["class_prior"]) == set(FER7)
    (scratch,) = run_snippet("train-ferplus-scratch.sh", checkout)  # the FER+ model in one run, from random weights
    one_run = json.loads((checkout / "runs" / "fernet_fer7_ferplus_scratch" / "metadata.json").read_text())
    assert "epoch 1:" in scratch and "starting from the weights" not in scratch, scratch
    assert "init_from" not in one_run["training"] and "FER+ votes" in one_run["training_data"]["targets"]
    # the model card's two fine-tunes towards FER2013's labels, from the bundled weights
    uniform, split = run_snippet("finetune-fer2013-labels.sh", checkout)
    assert "starting from the weights of fernet_fer7" in uniform and "epoch 1:" in split, split
    targets = [
        json.loads((checkout / "runs" / run / "metadata.json").read_text())["training_data"]["targets"]
        for run in ("ft_w03", "ft_split075")
    ]
    assert "fer2013_weight 0.3" in targets[0] and "where the voters split" not in targets[0]
    assert "fer2013_weight 0.25 (0.75 where the voters split)" in targets[1]
    (resumed,) = run_snippet("train-resume.sh", checkout)
    assert (out / "history.csv").read_text().count("\n") == 2, resumed
    predicted, evaluated = run_snippet("train-use.sh", checkout)
    assert "examples/images/astronaut.png: face 0" in predicted
    assert "runs/fernet_fer7" in evaluated and "accuracy" in evaluated
    shutil.copyfile(SNIPPETS / "evaluate_model.py", checkout / "evaluate_model.py")
    res = subprocess.run(
        [sys.executable, "evaluate_model.py"], cwd=checkout, env=env_with(), capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "on 21 images" in res.stdout


@pytest.mark.slow
def test_evaluate_votes_commands(checkout: Path) -> None:
    make_ferplus(checkout.parent / "shared" / "datasets" / "ferplus", "FER2013Valid")
    table, as_json = run_snippet("evaluate-votes.sh", checkout)
    assert "vote accuracy" in table and "majority accuracy" in table and "ECE" in table, table
    report = json.loads(as_json[as_json.index("{") :])
    assert report["decision"] == "calibrated" and report["n"] == 4
    for key in ("vote_accuracy", "majority_accuracy", "balanced_accuracy", "human_agreement", "ece"):
        assert 0.0 <= report[key] <= 1.0
    for png in ("confusion-votes.png", "reliability.png"):
        assert (checkout / png).read_bytes()[:4] == b"\x89PNG"


# how-to guides -------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_classify_crops(checkout: Path) -> None:
    (out,) = run_snippet("classify-crops.sh", checkout)
    assert "astronaut (BGR crop): happy" in out and "grace_hopper (grayscale crop): neutral" in out
    assert "batch (1, 48, 48, 3): ['happy']" in out


@pytest.mark.slow
def test_threads_example(checkout: Path) -> None:
    (out,) = run_snippet("threads.sh", checkout)
    assert "64 frames on 8 threads; emotions seen: happy, neutral" in out
    assert "same as sequential calls: yes" in out


@pytest.mark.slow
def test_ship_weights_example_and_weights_plugin(checkout: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fer_sdk" / "presets" / "fernet_fer7", checkout / "runs" / "fernet_fer7")
    (out,) = run_snippet("ship-weights.sh", checkout)
    assert "sha256 matches metadata: True" in out and "astronaut is happy" in out
    assert "damaged copy refused: model file" in out
    # the packaged variant: the plugin module with a model folder inside, registered as "our-model"
    package = tmp_path / "src" / "my_weights"
    shutil.copytree(SNIPPETS / "my-weights" / "src" / "my_weights", package)
    shutil.copytree(checkout / "assets" / "model", package / "model")
    code = (
        "import cv2, my_weights\n"
        "from fer_sdk import EmotionRecognizer\n"
        "from fer_sdk.plugins import Registry\n"
        "reg = Registry(autoload=False)\n"
        "reg.register_plugin(my_weights, name='my-weights')\n"
        "rec = EmotionRecognizer(classifier='our-model', registry=reg)\n"
        "print(rec)\n"
        "print(rec.predict(cv2.imread('examples/images/astronaut.png'))[0].emotion)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=checkout,
        env=env_with(PYTHONPATH=str(tmp_path / "src")),
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "classifier 'our-model'" in res.stdout and res.stdout.strip().endswith("happy")
    entry = (SNIPPETS / "my-weights" / "pyproject.toml").read_text()
    assert 'my-weights = "my_weights"' in entry and 'packages = ["src/my_weights"]' in entry


@pytest.mark.slow
def test_config_from_file(checkout: Path, tmp_path: Path) -> None:
    (out,) = run_snippet("config.sh", checkout)
    assert "'max_faces': 2" in out and "'min_neighbors': 5" in out and "astronaut.png: happy" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("detector: haar\nmax_face: 2\n")
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples/config_from_file.py"), str(bad)], capture_output=True, text=True
    )
    assert res.returncode == 2 and "max_face" in res.stderr and "Extra inputs are not permitted" in res.stderr


def test_autoload_switches(checkout: Path) -> None:
    pytest.importorskip("fer_sdk_example", reason="the example plugin is not installed: pip install plugins/...")
    everything, builtin_only, allowed = run_snippet("autoload.sh", checkout)
    assert "whole-frame" in everything and "haar" in everything
    assert "whole-frame" not in builtin_only and "haar" in builtin_only
    assert "whole-frame" in allowed
    script = str(SNIPPETS / "autoload_off.py")
    res = subprocess.run([sys.executable, script], cwd=checkout, env=env_with(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "process registry, detectors: haar\n" in res.stdout
    assert "own registry, detectors: haar\n" in res.stdout


@pytest.mark.slow
def test_web_service_example() -> None:
    import urllib.error
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "web_service.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]

        def post(body: bytes, to: str = url) -> tuple[int, dict[str, Any]]:
            req = urllib.request.Request(to, data=body, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=60) as res:
                    return res.status, json.loads(res.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())

        status, body = post((ROOT / "examples" / "images" / "astronaut.png").read_bytes())
        assert status == 200 and [f["emotion"] for f in body["faces"]] == ["happy"], body
        assert set(body["faces"][0]["box"]) >= {"x", "y", "w", "h"}
        status, body = post(b"not an image")
        assert status == 400 and "not an image" in body["error"]
        status, body = post(b"x", to=url.replace("/predict", "/other"))
        assert status == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)

"""The documentation builds strictly, and the examples it includes run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    exe = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    assert exe is not None, "mkdocs is not installed: pip install -e '.[test]'"
    # the environment as a user has it: no variable switching the theme's banners off
    env = {k: v for k, v in os.environ.items() if k not in {"NO_MKDOCS_2_WARNING", "DISABLE_MKDOCS_2_WARNING"}}
    res = subprocess.run(
        [exe, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "site" / "reference" / "api" / "index.html").is_file()
    # a clean build: mkdocs' own INFO lines only (mkdocs-material 9.7.2+ prints a banner on every build;
    # pyproject.toml keeps the docs extra below it)
    noise = [line for line in (res.stdout + res.stderr).splitlines() if line.strip() and not line.startswith("INFO")]
    assert not noise, "\n".join(noise)


def test_first_prediction_example(tmp_path: Path) -> None:
    out = tmp_path / "annotated.png"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "first_prediction.py"), str(out)], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "emotion: happy" in res.stdout
    img = cv2.imread(str(out))
    assert img is not None and img.shape == (512, 512, 3)


def test_cli_reference_names_every_command_and_option() -> None:
    import argparse

    from fer_sdk.cli import build_parser

    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, command in sub.choices.items():
        if f"## `fer-sdk {name}`" not in page:
            missing.append(f"section fer-sdk {name}")
        for action in command._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and f"`{flag}" not in page:
                    missing.append(f"fer-sdk {name} {flag}")
    assert not missing, "docs/reference/cli.md does not document: " + ", ".join(missing)


def test_cli_reference_is_the_page_generated_from_the_parser() -> None:
    """docs/reference/cli.md is written by docs/_ext/cli_reference.py: a changed option without a new page fails."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "docs" / "_ext" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert page == module.render(), "docs/reference/cli.md is out of date: run python docs/_ext/cli_reference.py"
    assert "## `fer-sdk featuremaps`" in page and "## `fer-sdk timeline`" in page

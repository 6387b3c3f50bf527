"""The package's layers: inference never imports the trainer; data and metrics import without TensorFlow."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fer_sdk"
#: the only modules outside fer_sdk/train that may import it: the train command
TRAIN_IMPORTERS = {PACKAGE / "cli" / "train.py"}


def _imported(tree: ast.AST) -> set[str]:
    """Every module a file imports, wherever the import statement is (functions included)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_outside_the_trainer_and_its_command_imports_fer_sdk_train() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if PACKAGE / "train" in path.parents or path in TRAIN_IMPORTERS:
            continue
        found = {
            n
            for n in _imported(ast.parse(path.read_text(encoding="utf-8")))
            if n.split(".")[:2] == ["fer_sdk", "train"]
        }
        if found:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(found)}")
    assert not offenders, "\n".join(offenders)


def test_evaluation_data_and_metrics_import_without_tensorflow_or_the_trainer() -> None:
    code = (
        "import sys; sys.modules.update(tensorflow=None, keras=None, matplotlib=None); "
        "import fer_sdk.evaluation, fer_sdk.datasets, fer_sdk.metrics, fer_sdk.figures, fer_sdk.drawing; "
        "print(sorted(m for m in sys.modules if m == 'fer_sdk.train' or m.startswith('fer_sdk.train.')))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"

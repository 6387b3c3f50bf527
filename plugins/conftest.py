"""The plugins' tests use the repository's photo fixtures: those of tests/conftest.py, not a copy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "fer_sdk_repo_fixtures", Path(__file__).resolve().parents[1] / "tests" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

fer2013 = _fixtures.fer2013
astronaut = _fixtures.astronaut
hopper = _fixtures.hopper
two_faces = _fixtures.two_faces

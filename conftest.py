"""Run every test and docstring example from the repository root, wherever pytest is started.

Docstring examples name files as the docs' commands do, relative to the repository root
(``examples/images/astronaut.png``); a plugin's suite run from its own folder
(``cd plugins/fer-sdk-mtcnn && python -m pytest``) finds them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes the ``fer2013`` fixture reads the data set: it is marked ``dataset`` too."""
    for item in items:
        if "fer2013" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.dataset)

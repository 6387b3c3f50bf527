"""The plugin system, proven with a throwaway distribution found through its entry points.

The distribution (tests/fixtures/fer_sdk_testplugin) is made visible with fer_sdk.testing.plugin_distribution:
the dist-info pip would write, without running pip. The one test that pip-installs a plugin is the plugin
tutorial's (tests/test_doc_samples.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import fer_sdk
from fer_sdk import EmotionRecognizer, PluginError, UnknownComponentError
from fer_sdk.builtin.haar import HaarDetector
from fer_sdk.errors import PluginWarning
from fer_sdk.plugins import ALLOWLIST_ENV, AUTOLOAD_ENV, Registry
from fer_sdk.testing import check_listed, modules_imported_by, plugin_distribution

PLUGIN_SRC = Path(__file__).parent / "fixtures" / "fer_sdk_testplugin" / "src"
DIST = "fer-sdk-testplugin"
# three plugins: a working one, one that fails to import, one whose hook raises
ENTRY_POINTS = {
    "testplugin": "fer_sdk_testplugin",
    "testplugin_broken_import": "fer_sdk_testplugin.broken",
    "testplugin_broken_hook": "fer_sdk_testplugin.raises",
}


@pytest.fixture(scope="module")
def installed_plugin() -> Iterator[Path]:
    """The throwaway plugin distribution, visible to entry-point discovery for this module; yields its folder."""
    with plugin_distribution(DIST, "0.0.1", ENTRY_POINTS, source=PLUGIN_SRC) as where:
        yield where


def _fresh_registry() -> tuple[Registry, list[str]]:
    registry = Registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.infos("detectors")
    return registry, [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]


def test_plugin_found_through_its_entry_point_and_used_by_name(installed_plugin: Path, astronaut: np.ndarray) -> None:
    registry, _ = _fresh_registry()
    detectors = {d["name"]: d for d in registry.available()["detectors"]}
    assert detectors["centre"]["distribution"] == f"{DIST} 0.0.1"
    assert detectors["centre"]["aliases"] == ["center"]
    rec = EmotionRecognizer(detector="centre", registry=registry)
    faces = rec.predict(astronaut)
    assert len(faces) == 1
    assert faces[0].box.model_dump(include={"x", "y", "w", "h", "score"}) == {
        "x": 128,
        "y": 128,
        "w": 256,
        "h": 256,
        "score": 0.5,
    }
    rec = EmotionRecognizer(detector="center", classifier="always-surprised", registry=registry)
    assert rec.predict(astronaut)[0].emotion == "surprise"


def test_plugin_options_are_passed_to_the_factory(installed_plugin: Path, astronaut: np.ndarray) -> None:
    registry, _ = _fresh_registry()
    rec = EmotionRecognizer(detector="centre", detector_options={"fraction": 0.25}, registry=registry)
    assert rec.detect(astronaut)[0].w == 128


def test_broken_plugins_warn_by_name_and_break_nothing(installed_plugin: Path, astronaut: np.ndarray) -> None:
    registry, messages = _fresh_registry()
    assert any("testplugin_broken_import" in m and "failed to load" in m for m in messages), messages
    assert any("testplugin_broken_hook" in m and "broken on purpose" in m for m in messages), messages
    assert EmotionRecognizer(registry=registry).detect(astronaut)


def test_autoload_can_be_switched_off(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    registry, messages = _fresh_registry()
    assert messages == []
    with pytest.raises(UnknownComponentError, match="haar"):
        EmotionRecognizer(detector="centre", registry=registry)


def test_autoload_allow_list(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV, "testplugin")
    registry, messages = _fresh_registry()
    assert messages == []
    assert "centre" in {d["name"] for d in registry.available()["detectors"]}


def test_two_plugins_claiming_one_name_is_an_error_naming_both(installed_plugin: Path) -> None:
    class Impostor:
        @fer_sdk.hookimpl
        def register_detectors(self, register):  # type: ignore[no-untyped-def]
            register(HaarDetector, name="centre")

    registry, _ = _fresh_registry()
    registry.register_plugin(Impostor(), name="impostor", distribution="impostor-dist 1.0")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry.infos("detectors")
    assert any("centre" in str(w.message) and "impostor" in str(w.message) for w in caught)
    with pytest.raises(PluginError) as err:
        EmotionRecognizer(detector="centre", registry=registry)
    assert "testplugin" in str(err.value) and "impostor" in str(err.value)
    assert EmotionRecognizer(detector="haar", registry=registry)  # the rest keeps working


def test_cli_lists_the_plugin(installed_plugin: Path) -> None:
    path = os.pathsep.join([str(installed_plugin), str(PLUGIN_SRC), os.environ.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-m", "fer_sdk", "plugins"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
    ).stdout
    assert "centre" in out and DIST in out and "haar" in out


def test_plugin_authors_checks_say_what_is_wrong() -> None:
    """fer_sdk.testing's checks for installed plugins pass on the truth and fail with a message otherwise."""
    check_listed("detectors", "haar", "fer_sdk")
    with pytest.raises(AssertionError, match="'no-such' is not listed"):
        check_listed("detectors", "no-such", "fer_sdk")
    with pytest.raises(AssertionError, match="listed with 'fer_sdk "):
        check_listed("detectors", "haar", "fer-sdk-other")
    assert modules_imported_by("import fer_sdk", ["fer_sdk", "tensorflow"]) == ["fer_sdk"]
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        modules_imported_by("1 / 0", ["fer_sdk"])


def test_runtime_registration_and_unregistration(astronaut: np.ndarray) -> None:
    class Whole(fer_sdk.FaceDetector):
        """Says the whole frame is a face."""

        def detect(self, frame: fer_sdk.Frame) -> list[fer_sdk.Box]:
            return [fer_sdk.Box(x=0, y=0, w=frame.width, h=frame.height)]

    class Plugin:
        @fer_sdk.hookimpl
        def register_detectors(self, register):  # type: ignore[no-untyped-def]
            register(Whole, name="whole")

    registry = Registry(autoload=False)
    name = registry.register_plugin(Plugin(), name="whole-plugin")
    assert EmotionRecognizer(detector="whole", registry=registry).detect(astronaut)[0].w == 512
    registry.unregister_plugin(name)
    with pytest.raises(UnknownComponentError):
        EmotionRecognizer(detector="whole", registry=registry)


def test_a_plugin_classifier_declares_its_preprocessing_and_warms_itself_up(astronaut: np.ndarray) -> None:
    """The recognizer treats a plugin's classifier as a built-in: its declared preprocessor, its own warm-up."""
    seen: list[tuple[int, ...]] = []

    class Tiny(fer_sdk.EmotionClassifier):
        """Two labels, trained on 32-pixel crops with a margin."""

        labels = ("calm", "upset")
        preprocessing = {"name": "standard", "size": 32, "margin": 0.1}  # noqa: RUF012

        def __init__(self, **options: object) -> None:
            self.loaded = False

        def warmup(self, sample: np.ndarray) -> None:
            self.loaded = True
            seen.append(tuple(sample.shape))

        def predict_proba(self, batch: np.ndarray) -> np.ndarray:
            assert batch.shape[1:] == (32, 32, 1)
            return np.tile([0.25, 0.75], (len(batch), 1))

    class Plugin:
        @fer_sdk.hookimpl
        def register_classifiers(self, register):  # type: ignore[no-untyped-def]
            register(Tiny, name="tiny")

    registry = Registry(autoload=False)
    registry.register_plugin(Plugin(), name="tiny-plugin")
    rec = EmotionRecognizer(classifier="tiny", registry=registry)
    assert (rec.preprocessor.options.size, rec.preprocessor.options.margin) == (32, 0.1)  # type: ignore[attr-defined]
    assert rec.warmup() is rec and rec.classifier.loaded and seen == [(1, 32, 32, 1)]  # type: ignore[attr-defined]
    assert [f.emotion for f in rec.predict(astronaut)] == ["upset"]
    over = EmotionRecognizer(classifier="tiny", registry=registry, preprocessor_options={"margin": 0.0})
    assert over.preprocessor.options.size == 32 and over.preprocessor.options.margin == 0.0  # type: ignore[attr-defined]


def test_misspelled_hook_is_refused() -> None:
    class Typo:
        @fer_sdk.hookimpl
        def register_detector(self, register):  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(PluginError, match="register_detector"):
        Registry(autoload=False).register_plugin(Typo(), name="typo")


def test_instances_can_fill_any_slot(astronaut: np.ndarray) -> None:
    from fer_sdk.builtin.preprocess import StandardPreprocessor

    rec = EmotionRecognizer(detector=HaarDetector(min_neighbors=4), preprocessor=StandardPreprocessor(margin=0.1))
    assert len(rec.predict(astronaut)) == 1


def test_object_without_the_interface_is_refused() -> None:
    with pytest.raises(fer_sdk.ComponentError, match="detect"):
        EmotionRecognizer(detector=object())  # type: ignore[arg-type]


UNINSTALLED = ("fer_sdk_example", "fer_sdk_mtcnn", "fer_sdk_align", "fer_sdk_litert", "fer_sdk_blazeface")


def test_the_core_works_with_the_plugin_distributions_uninstalled(tmp_path: Path) -> None:
    """A view of site-packages without the plugins' distributions (and their editable hooks) stands in
    for ``pip uninstall``: the core still lists its own components, predicts, and names what is missing."""
    import json
    import sysconfig

    site_packages = Path(sysconfig.get_paths()["purelib"])
    view = tmp_path / "site-packages"
    view.mkdir()
    hidden = []
    for entry in site_packages.iterdir():
        name = entry.name
        if any(name == d or name.startswith(f"{d}-") or name == f"_editable_impl_{d}.pth" for d in UNINSTALLED):
            hidden.append(name)
            continue
        (view / name).symlink_to(entry)
    code = textwrap.dedent(
        """
        import json, site, sys
        site.addsitedir(sys.argv[1])
        import cv2, fer_sdk
        names = {k: [c["name"] for c in v] for k, v in fer_sdk.available_components().items()}
        faces = fer_sdk.EmotionRecognizer().predict(cv2.imread(sys.argv[2]))
        missing = []
        for kind, name in (("detector", "mtcnn"), ("classifier", "litert-int8")):
            try:
                fer_sdk.EmotionRecognizer(**{kind: name})
            except fer_sdk.UnknownComponentError as exc:
                missing.append([name, str(exc)])
        print(json.dumps({"names": names, "emotions": [f.emotion for f in faces], "missing": missing}))
        """
    )
    image = Path(__file__).resolve().parents[1] / "examples" / "images" / "astronaut.png"
    res = subprocess.run(
        [sys.executable, "-S", "-c", code, str(view), str(image)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"haar"} <= set(out["names"]["detectors"]) and {"keras", "litert"} <= set(out["names"]["classifiers"])
    everything = {n for names in out["names"].values() for n in names}
    assert not everything & {"mtcnn", "aligned", "litert-int8", "whole-frame", "blazeface"}, out["names"]
    assert out["emotions"] == ["happy"]
    assert [name for name, _ in out["missing"]] == ["mtcnn", "litert-int8"]
    for name, message in out["missing"]:  # the project's own plugins: the message says what to install
        dist = {"mtcnn": "fer-sdk-mtcnn", "litert-int8": "fer-sdk-litert"}[name]
        assert message.endswith(f"'{name}' comes from the plugin {dist}, which is not installed: "
                                f"pip install plugins/{dist} (in a checkout)"), message  # fmt: skip


def test_unknown_names_of_the_projects_plugins_say_why_they_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(
        UnknownComponentError, match="comes from the plugin fer-sdk-litert, and plugin autoloading is off"
    ):
        Registry(autoload=False).get("classifiers", "litert-int8")
    monkeypatch.setenv(ALLOWLIST_ENV, "mtcnn")
    with pytest.raises(UnknownComponentError, match=f"fer-sdk-align: is its entry point named in {ALLOWLIST_ENV}="):
        Registry().get("preprocessors", "aligned")
    with pytest.raises(UnknownComponentError) as info:
        Registry(autoload=False).get("classifiers", "no-such-model")
    assert str(info.value) == "unknown classifier 'no-such-model'; available classifiers: keras, litert"  # no hint


def test_plugins_listing_is_plain_text() -> None:
    res = subprocess.run([sys.executable, "-m", "fer_sdk", "plugins"], capture_output=True, text=True, check=True)
    assert "whole-frame" in res.stdout and "minus an inset fraction" in res.stdout
    assert "``" not in res.stdout and ":class:" not in res.stdout and ":meth:" not in res.stdout

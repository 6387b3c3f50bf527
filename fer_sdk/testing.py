"""Helpers for testing fer_sdk plugins: test frames, interface contract checks, throwaway plugins.

This module needs pytest (``pip install pytest``; it comes with ``fer_sdk[test]``);
``import fer_sdk`` does not import it. A plugin's ``tests/conftest.py`` makes the
fixtures available to its tests by importing them::

    from fer_sdk.testing import astronaut, fer2013, hopper, two_faces

    __all__ = ["astronaut", "fer2013", "hopper", "two_faces"]

What it offers:

* **Photos and frames**: :func:`example_image` reads the photos of fer_sdk's
  ``examples/images`` (the astronaut and Grace Hopper, both public domain);
  :func:`two_face_frame` and :func:`paste_face` build frames of known content
  from them; :func:`rotate` turns a frame. The photos are not in the wheel: the
  helpers find them in a source checkout of fer_sdk, or in the folder named by
  ``FER_SDK_IMAGES``, and the fixtures skip the test with a message otherwise.
* **Contract checks**: :func:`check_detector`, :func:`check_preprocessor` and
  :func:`check_classifier` run a component the way
  :class:`~fer_sdk.EmotionRecognizer` does and raise :class:`AssertionError`
  saying what breaks the interface's contract.
* **Throwaway plugins**: :func:`registered_plugin` registers a plugin object for
  the length of a ``with`` block; :func:`plugin_distribution` makes entry points
  visible to plugin discovery as if a distribution were installed, without pip.
* **Installed plugins**: :func:`check_listed` checks that an installed plugin's
  component is listed with its distribution, in Python and by ``fer-sdk plugins``;
  :func:`modules_imported_by` says which heavy modules a snippet imports in a
  fresh process (listing and constructing components should import none).
* **The FER2013 folder**: the ``fer2013`` fixture gives ``$FER_SDK_DATA`` or
  ``../shared/datasets/fer2013`` beside the checkout, and skips the test when
  neither holds the data set; tests using it belong under the ``dataset`` marker.

Examples:
    >>> from fer_sdk.builtin.haar import HaarDetector
    >>> boxes = check_detector(HaarDetector(), example_image("astronaut.png"))
    >>> [box.iou(ASTRONAUT_FACE) > 0.9 for box in boxes]
    [True]
"""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from fer_sdk.errors import DatasetError
from fer_sdk.frame import Frame
from fer_sdk.interfaces import EmotionClassifier, FaceDetector, Preprocessor
from fer_sdk.plugins import ENTRY_POINT_GROUP, Registry, available_components, get_registry
from fer_sdk.results import Box

__all__ = [
    "ASTRONAUT_FACE",
    "DATA_ENV",
    "IMAGES_ENV",
    "astronaut",
    "check_classifier",
    "check_detector",
    "check_listed",
    "check_preprocessor",
    "example_image",
    "eye_tilt",
    "fer2013",
    "fer2013_root",
    "hopper",
    "images_dir",
    "modules_imported_by",
    "paste_face",
    "plugin_distribution",
    "registered_plugin",
    "rotate",
    "two_face_frame",
    "two_faces",
]

IMAGES_ENV = "FER_SDK_IMAGES"
"""A folder holding ``astronaut.png`` and ``grace_hopper.jpg``, for tests run outside a checkout of fer_sdk."""
DATA_ENV = "FER_SDK_DATA"
"""The FER2013 image folders (``Training/``, ``PublicTest/``, ...)."""

_CHECKOUT = Path(__file__).resolve().parents[1]

ASTRONAUT_FACE = Box(x=174, y=64, w=99, h=100)
"""The astronaut's face in ``astronaut.png`` (the Haar detector's box)."""


# photos and frames ---------------------------------------------------------------------------------------------------
def images_dir() -> Path | None:
    """The folder of the example photos: ``$FER_SDK_IMAGES``, else ``examples/images`` of a fer_sdk checkout.

    Examples:
        >>> images_dir().name
        'images'
    """
    env = os.environ.get(IMAGES_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(_CHECKOUT / "examples" / "images")
    return next((path for path in candidates if (path / "astronaut.png").is_file()), None)


def example_image(name: str) -> np.ndarray:
    """One example photo (``astronaut.png`` or ``grace_hopper.jpg``) as a BGR ``uint8`` array.

    Raises:
        DatasetError: the photos are not found (see :func:`images_dir`) or the file is not a readable image.

    Examples:
        >>> example_image("grace_hopper.jpg").shape
        (600, 512, 3)
    """
    folder = images_dir()
    if folder is None:
        raise DatasetError(
            f"the example photos are not found: set {IMAGES_ENV} to a folder holding astronaut.png and "
            "grace_hopper.jpg (examples/images in a checkout of fer_sdk)"
        )
    image = cv2.imread(str(folder / name))
    if image is None:
        raise DatasetError(f"{folder / name} is not a readable image")
    return image


def two_face_frame(astronaut: np.ndarray, hopper: np.ndarray) -> np.ndarray:
    """A 640x480 frame with two real faces side by side: the astronaut left, Grace Hopper (the larger) right.

    Examples:
        >>> two_face_frame(example_image("astronaut.png"), example_image("grace_hopper.jpg")).shape
        (480, 640, 3)
    """
    left = cv2.resize(astronaut, (320, 320))
    right = cv2.resize(hopper[:560], (320, 350))[:320]
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[80:400, :320] = left
    frame[80:400, 320:] = right
    return frame


def paste_face(
    image: np.ndarray,
    face: Box,
    size: int,
    at: tuple[int, int] = (300, 200),
    frame_size: tuple[int, int] = (640, 480),
    background: int = 90,
    context: tuple[int, int, int, int] = (60, 50, 60, 60),
) -> tuple[np.ndarray, Box]:
    """Paste the head around ``face`` of ``image``, scaled to a face ``size`` pixels wide, onto a gray frame.

    Args:
        image: the photo.
        face: the face's box in ``image`` (e.g. :data:`ASTRONAUT_FACE`).
        size: the pasted face's width in pixels.
        at: where the face's top-left corner lands in the frame; the head may run off its edges.
        frame_size: the frame's ``(width, height)``.
        background: the frame's gray level.
        context: pixels of ``image`` kept around the face (left, top, right, bottom), before scaling.

    Returns:
        The frame, and the box of the pasted face in it.

    Examples:
        >>> frame, box = paste_face(example_image("astronaut.png"), ASTRONAUT_FACE, 48)
        >>> frame.shape, (box.x, box.y, box.w, box.h)
        ((480, 640, 3), (300, 200, 48, 48))
    """
    scale = size / face.w
    x1, y1 = max(0, face.x - context[0]), max(0, face.y - context[1])
    x2, y2 = face.x + face.w + context[2], face.y + face.h + context[3]
    head = cv2.resize(image[y1:y2, x1:x2], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    width, height = frame_size
    frame = np.full((height, width, 3), background, np.uint8)
    x0, y0 = at[0] - round((face.x - x1) * scale), at[1] - round((face.y - y1) * scale)
    fx1, fy1 = max(0, x0), max(0, y0)  # the part of the head inside the frame
    fx2, fy2 = min(width, x0 + head.shape[1]), min(height, y0 + head.shape[0])
    frame[fy1:fy2, fx1:fx2] = head[fy1 - y0 : fy2 - y0, fx1 - x0 : fx2 - x0]
    return frame, Box(x=at[0], y=at[1], w=size, h=round(face.h * scale))


def rotate(image: np.ndarray, centre: tuple[float, float], angle: float) -> np.ndarray:
    """``image`` rotated by ``angle`` degrees (counter-clockwise) about ``centre``, borders mirrored.

    Examples:
        >>> rotate(example_image("astronaut.png"), (220.0, 115.0), 30).shape
        (512, 512, 3)
    """
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(image, turn, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REFLECT)


def eye_tilt(box: Box) -> float:
    """The angle of the line from the left to the right eye landmark, in degrees (0: level).

    Examples:
        >>> eye_tilt(Box(x=0, y=0, w=10, h=10, landmarks={"left_eye": (2, 4), "right_eye": (8, 4)}))
        0.0
    """
    if box.landmarks is None or not {"left_eye", "right_eye"} <= set(box.landmarks):
        raise AssertionError(f"box {box} has no left_eye and right_eye landmarks")
    (lx, ly), (rx, ry) = box.landmarks["left_eye"], box.landmarks["right_eye"]
    return math.degrees(math.atan2(ry - ly, rx - lx))


# contract checks -----------------------------------------------------------------------------------------------------
def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_detector(detector: FaceDetector, image: Any) -> list[Box]:
    """Check ``detector`` against the :class:`~fer_sdk.FaceDetector` contract on ``image``; return its boxes.

    The contract: ``detect`` returns a sequence of :class:`~fer_sdk.Box` with a positive
    size, overlapping the frame; the same frame gives the same boxes; gray frames and
    frames without a face work (the latter may give no box).

    Raises:
        AssertionError: what breaks the contract.

    Examples:
        >>> from fer_sdk.builtin.haar import HaarDetector
        >>> len(check_detector(HaarDetector(), example_image("grace_hopper.jpg")))
        1
    """
    _expect(isinstance(detector, FaceDetector), f"{detector!r} is not a fer_sdk.FaceDetector")
    frame = image if isinstance(image, Frame) else Frame(image)
    boxes = list(detector.detect(frame))
    for box in boxes:
        _expect(isinstance(box, Box), f"detect returned {box!r}, not a fer_sdk.Box")
        _expect(all(math.isfinite(v) for v in (box.x, box.y, box.w, box.h)), f"non-finite box {box}")
        inside = box.x < frame.width and box.y < frame.height and box.x + box.w > 0 and box.y + box.h > 0
        _expect(inside, f"box {box} lies entirely outside the {frame.width}x{frame.height} frame")
    again = list(detector.detect(frame))
    _expect(again == boxes, f"the same frame gave different boxes: {boxes} then {again}")
    for other, what in ((Frame(frame.gray), "gray"), (Frame(np.zeros_like(frame.bgr)), "black")):
        found = detector.detect(other)
        _expect(isinstance(found, Sequence), f"detect on a {what} frame returned {type(found).__name__}")
    return boxes


def check_preprocessor(preprocessor: Preprocessor, image: Any, boxes: Sequence[Box]) -> np.ndarray:
    """Check ``preprocessor`` against the :class:`~fer_sdk.Preprocessor` contract; return its batch for ``boxes``.

    The contract: ``prepare`` returns a finite float array with one entry per box (in
    order: each box prepared alone gives its row), also for boxes partly outside the
    frame; ``prepare_crops`` takes cut-out faces.

    Raises:
        AssertionError: what breaks the contract.

    Examples:
        >>> from fer_sdk.builtin.preprocess import StandardPreprocessor
        >>> check_preprocessor(StandardPreprocessor(), example_image("astronaut.png"), [ASTRONAUT_FACE]).shape
        (1, 48, 48, 1)
    """
    _expect(isinstance(preprocessor, Preprocessor), f"{preprocessor!r} is not a fer_sdk.Preprocessor")
    _expect(len(boxes) > 0, "give at least one box")
    frame = image if isinstance(image, Frame) else Frame(image)
    batch = preprocessor.prepare(frame, list(boxes))
    _expect(isinstance(batch, np.ndarray), f"prepare returned {type(batch).__name__}, not a numpy array")
    _expect(batch.shape[:1] == (len(boxes),), f"prepare returned shape {batch.shape} for {len(boxes)} box(es)")
    _expect(np.issubdtype(batch.dtype, np.floating), f"prepare returned dtype {batch.dtype}, not a float type")
    _expect(bool(np.isfinite(batch).all()), "prepare returned non-finite values")
    for i, box in enumerate(boxes):
        alone = preprocessor.prepare(frame, [box])
        _expect(bool(np.allclose(alone[0], batch[i], atol=1e-5)), f"box {i} prepared alone differs from its row")
    edge = Box(x=-5, y=-5, w=max(8, frame.width // 4), h=max(8, frame.height // 4))
    at_edge = preprocessor.prepare(frame, [edge])
    _expect(at_edge.shape == (1, *batch.shape[1:]), f"a box partly outside the frame gave shape {at_edge.shape}")
    box = boxes[0]
    crop = frame.bgr[max(0, box.y) : box.y + box.h, max(0, box.x) : box.x + box.w]
    crops = preprocessor.prepare_crops([crop])
    _expect(crops.shape == (1, *batch.shape[1:]), f"prepare_crops returned shape {crops.shape}")
    return batch


def check_classifier(classifier: EmotionClassifier, batch: np.ndarray) -> np.ndarray:
    """Check ``classifier`` against the :class:`~fer_sdk.EmotionClassifier` contract; return its probabilities.

    The contract: ``labels`` is a tuple of distinct non-empty strings; ``predict_proba``
    returns finite ``(n, len(labels))`` probabilities in [0, 1] whose rows sum to 1;
    the rows do not depend on the other faces of the batch; ``preprocessing`` names a
    preprocessor.

    Raises:
        AssertionError: what breaks the contract.

    Examples:
        >>> from fer_sdk.builtin.preprocess import StandardPreprocessor
        >>> from fer_sdk.builtin.litert import LiteRTClassifier
        >>> batch = StandardPreprocessor().prepare_crops([example_image("astronaut.png")[64:164, 174:273]])
        >>> check_classifier(LiteRTClassifier(), batch).shape
        (1, 7)
    """
    _expect(isinstance(classifier, EmotionClassifier), f"{classifier!r} is not a fer_sdk.EmotionClassifier")
    labels = classifier.labels
    _expect(isinstance(labels, tuple) and len(labels) > 0, f"labels must be a non-empty tuple, got {labels!r}")
    _expect(all(isinstance(x, str) and x for x in labels), f"labels must be non-empty strings, got {labels!r}")
    _expect(len(set(labels)) == len(labels), f"labels repeat: {labels!r}")
    preprocessing = classifier.preprocessing
    _expect(isinstance(preprocessing.get("name"), str), f"preprocessing needs a 'name', got {preprocessing!r}")
    probs = np.asarray(classifier.predict_proba(batch))
    _expect(probs.shape == (len(batch), len(labels)), f"shape {probs.shape}; expected {(len(batch), len(labels))}")
    _expect(bool(np.isfinite(probs).all()), "predict_proba returned non-finite values")
    _expect(bool(((probs >= 0) & (probs <= 1 + 1e-6)).all()), "probabilities outside [0, 1]")
    _expect(bool(np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)), f"rows sum to {probs.sum(axis=1)}, not 1")
    if len(batch) > 0:
        first = np.asarray(classifier.predict_proba(batch[:1]))
        _expect(bool(np.allclose(first[0], probs[0], atol=1e-3)), "a face's row depends on the rest of the batch")
    return probs


# throwaway plugins ---------------------------------------------------------------------------------------------------
@contextmanager
def registered_plugin(
    plugin: object, name: str = "throwaway", registry: Registry | None = None, distribution: str = ""
) -> Iterator[str]:
    """Register ``plugin`` (an object or module with hook implementations) for the length of a ``with`` block.

    Args:
        plugin: the hook implementations, e.g. an instance of a class with ``@fer_sdk.hookimpl`` methods.
        name: the plugin's name, shown in listings and error messages.
        registry: where to register it; by default the process-wide registry that
            ``EmotionRecognizer`` uses when given no ``registry``.
        distribution: the distribution shown in listings.

    Yields:
        The plugin's registered name.

    Examples:
        >>> import fer_sdk
        >>> class Whole(fer_sdk.FaceDetector):
        ...     def detect(self, frame):
        ...         return [fer_sdk.Box(x=0, y=0, w=frame.width, h=frame.height)]
        >>> class Plugin:
        ...     @fer_sdk.hookimpl
        ...     def register_detectors(self, register):
        ...         register(Whole, name="whole-test")
        >>> with registered_plugin(Plugin(), name="whole-test-plugin"):
        ...     fer_sdk.EmotionRecognizer(detector="whole-test").detect(example_image("astronaut.png"))[0].w
        512
        >>> "whole-test" in [d["name"] for d in fer_sdk.available_components()["detectors"]]
        False
    """
    registry = registry if registry is not None else get_registry()
    registered = registry.register_plugin(plugin, name=name, distribution=distribution)
    try:
        yield registered
    finally:
        registry.unregister_plugin(registered)


@contextmanager
def plugin_distribution(
    name: str, version: str, entry_points: Mapping[str, str], source: str | Path | None = None
) -> Iterator[Path]:
    """Make ``fer_sdk`` entry points visible as if the distribution ``name`` were installed, without pip.

    Writes a minimal ``<name>-<version>.dist-info`` (``METADATA`` and ``entry_points.txt``)
    into a temporary folder and puts that folder, and ``source`` (the folder holding the
    plugin's packages, e.g. ``src``), first on ``sys.path``; the ``with`` block's end removes
    them and the modules imported from them. A :class:`~fer_sdk.plugins.Registry` created
    inside the block discovers the entry points as it does installed ones.

    Args:
        name: the distribution's name, e.g. ``my-fer-plugin``.
        version: its version.
        entry_points: entry point name -> module (or ``module:object``) of the ``fer_sdk`` group.
        source: the folder the entry points' modules are imported from.

    Yields:
        The temporary folder on ``sys.path``.

    Examples:
        >>> from importlib.metadata import version
        >>> with plugin_distribution("demo-dist", "1.0", {}):
        ...     version("demo-dist")
        '1.0'
    """
    source_path = Path(source).resolve() if source is not None else None
    with tempfile.TemporaryDirectory(prefix="fer-sdk-plugin-") as tmp:
        root = Path(tmp)
        info = root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
        lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{ep} = {target}" for ep, target in entry_points.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        added = [str(root)] + ([str(source_path)] if source_path is not None else [])
        before = set(sys.modules)
        sys.path[:0] = added
        importlib.invalidate_caches()
        try:
            yield root
        finally:
            for entry in added:
                if entry in sys.path:
                    sys.path.remove(entry)
            for module in set(sys.modules) - before:
                where = getattr(sys.modules[module], "__file__", None) or ""
                if source_path is not None and where.startswith(str(source_path)):
                    del sys.modules[module]
            importlib.invalidate_caches()


# installed plugins ---------------------------------------------------------------------------------------------------
def check_listed(kind: str, name: str, distribution: str) -> None:
    """Check that component ``name`` is listed with ``distribution``, by the API and by ``fer-sdk plugins``.

    Args:
        kind: ``detectors``, ``preprocessors`` or ``classifiers``.
        name: the component's name, e.g. ``mtcnn``.
        distribution: the installed distribution that provides it, e.g. ``fer-sdk-mtcnn``.

    Raises:
        AssertionError: saying where the component or its distribution is missing.

    Examples:
        >>> check_listed("detectors", "haar", "fer_sdk")
    """
    listed = {c["name"]: c for c in available_components()[kind]}
    _expect(name in listed, f"{kind} {name!r} is not listed; listed: {sorted(listed)}")
    shown = listed[name]["distribution"]
    _expect(shown.startswith(distribution + " "), f"{name!r} is listed with {shown!r}, not {distribution!r}")
    out = subprocess.run([sys.executable, "-m", "fer_sdk", "plugins"], capture_output=True, text=True, check=True)
    lines = [row for row in out.stdout.splitlines() if name in row.split()]
    _expect(any(distribution in row for row in lines), f"fer-sdk plugins shows no {name!r} from {distribution!r}")


def modules_imported_by(code: str, modules: Iterable[str]) -> list[str]:
    """Which of ``modules`` the Python ``code`` imports when run in a fresh process (sorted).

    Examples:
        >>> modules_imported_by("import fer_sdk; fer_sdk.available_components()", ["tensorflow", "json"])
        ['json']
    """
    wanted = sorted(set(modules))
    report = f"\nimport sys\nprint(*[m for m in {wanted!r} if m in sys.modules], sep=',')\n"
    out = subprocess.run([sys.executable, "-c", code + report], capture_output=True, text=True)
    _expect(out.returncode == 0, f"the code failed:\n{out.stderr[-2000:]}")
    return [m for m in out.stdout.strip().splitlines()[-1].split(",") if m] if out.stdout.strip() else []


# pytest fixtures -----------------------------------------------------------------------------------------------------
def fer2013_root() -> Path | None:
    """The FER2013 image folders: ``$FER_SDK_DATA``, else ``../shared/datasets/fer2013`` beside the checkout."""
    env = os.environ.get(DATA_ENV)
    candidates = [Path(env)] if env else []
    candidates.append(_CHECKOUT.parent / "shared" / "datasets" / "fer2013")
    return next((path for path in candidates if (path / "PublicTest").is_dir()), None)


def _photo(name: str) -> np.ndarray:
    if images_dir() is None:
        pytest.skip(f"the example photos are not found: set {IMAGES_ENV} (examples/images of a fer_sdk checkout)")
    return example_image(name)


@pytest.fixture(scope="session")
def fer2013() -> Path:
    """The FER2013 image folders (see :func:`fer2013_root`); skips the test when they are absent."""
    root = fer2013_root()
    if root is None:
        pytest.skip(
            f"FER2013 images not found: set {DATA_ENV} to the folder holding Training/ and PublicTest/, "
            "or place it at ../shared/datasets/fer2013 beside the checkout"
        )
    return root


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """``astronaut.png``: one smiling face at :data:`ASTRONAUT_FACE`, 512x512 BGR."""
    return _photo("astronaut.png")


@pytest.fixture(scope="session")
def hopper() -> np.ndarray:
    """``grace_hopper.jpg``: one face, 512x600 BGR."""
    return _photo("grace_hopper.jpg")


@pytest.fixture(scope="session")
def two_faces(astronaut: np.ndarray, hopper: np.ndarray) -> np.ndarray:
    """:func:`two_face_frame` of the two photos."""
    return two_face_frame(astronaut, hopper)

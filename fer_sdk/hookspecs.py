"""Hook specifications: how a plugin adds components to fer_sdk.

fer_sdk finds plugins through the ``fer_sdk`` entry-point group. A plugin is a
module that implements one or more of the hooks below with
:data:`fer_sdk.hookimpl`; each hook receives a ``register`` function and calls
it once per component class::

    # my_plugin.py
    import fer_sdk

    class MyDetector(fer_sdk.FaceDetector):
        \"\"\"Finds faces with my method.\"\"\"

        def __init__(self, threshold: float = 0.5) -> None:
            self.threshold = threshold

        def detect(self, frame):
            ...

    @fer_sdk.hookimpl
    def register_detectors(register):
        register(MyDetector, name="mine", aliases=["my-detector"])

and in the plugin's ``pyproject.toml``::

    [project.entry-points.fer_sdk]
    mine = "my_plugin"

``register(factory, name=None, aliases=())`` takes a class (or any callable
returning a component) and the name users pass to
:class:`~fer_sdk.EmotionRecognizer`; ``name`` defaults to the class attribute
``name``. Register classes, never instances: listing plugins must not load
weights, so keep heavy imports inside methods. Keyword options given by the user
(``detector_options={...}``) are passed to the factory.

The built-in Haar detector, standard preprocessor and the Keras and LiteRT
classifiers are registered through these same hooks (see :mod:`fer_sdk.builtin`),
and the recognizer knows them only through the interfaces
(:mod:`fer_sdk.interfaces`), so a plugin's component is used exactly as a
built-in one: a classifier declares the preprocessing it was trained with
(``EmotionClassifier.preprocessing``), which the recognizer builds unless told
otherwise, and warms itself up (``EmotionClassifier.warmup``); a preprocessor
says which declared preprocessings it reproduces (``Preprocessor.reproduces``).
A classifier that runs model files with ``fer_sdk.model/1`` metadata can build on
:class:`fer_sdk.preset.ModelFileClassifier`, and bundle presets of its own
(``preset_packages``).

A name claimed by two plugins is an error that names both; it is raised when
that name is used, and the other components keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import pluggy

PROJECT = "fer_sdk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marker for hook implementations in plugins: decorate ``register_*`` functions with it."""


class Register(Protocol):
    """The ``register`` callable each hook receives."""

    def __call__(self, factory: Callable[..., Any], name: str | None = None, aliases: Iterable[str] = ()) -> None: ...


@hookspec
def register_detectors(register: Register) -> None:
    """Register :class:`~fer_sdk.FaceDetector` classes.

    Args:
        register: call ``register(cls, name=..., aliases=...)`` once per detector.

    Examples:
        >>> import fer_sdk
        >>> @fer_sdk.hookimpl
        ... def register_detectors(register):
        ...     register(MyDetector, name="mine")  # doctest: +SKIP
    """


@hookspec
def register_preprocessors(register: Register) -> None:
    """Register :class:`~fer_sdk.Preprocessor` classes.

    A preprocessor chosen by name gets the options a classifier declares for
    the preprocessing of the same name, or of one listed in the class's
    ``reproduces`` (``preprocessor_options`` override them).

    Args:
        register: call ``register(cls, name=..., aliases=...)`` once per preprocessor.

    Examples:
        >>> import fer_sdk
        >>> @fer_sdk.hookimpl
        ... def register_preprocessors(register):
        ...     register(AlignedCrop, name="aligned")  # doctest: +SKIP
    """


@hookspec
def register_classifiers(register: Register) -> None:
    """Register :class:`~fer_sdk.EmotionClassifier` classes.

    A classifier declares its preprocessing in ``preprocessing`` (a registered
    preprocessor's name and options) and loads ahead of the first call in
    ``warmup(sample)``; both have defaults on :class:`~fer_sdk.EmotionClassifier`.

    Args:
        register: call ``register(cls, name=..., aliases=...)`` once per classifier.

    Examples:
        >>> import fer_sdk
        >>> @fer_sdk.hookimpl
        ... def register_classifiers(register):
        ...     register(OnnxClassifier, name="onnx")  # doctest: +SKIP
    """

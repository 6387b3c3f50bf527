"""Which runtime the default classifier (``"auto"``) runs the model on, and why.

``EmotionRecognizer()`` asks for the classifier ``"auto"``, which is not a
component of its own: it resolves to one of two built-in classifiers running
the same network,

* ``litert``: the model's float32 LiteRT file on XNNPACK
  (:mod:`fer_sdk.builtin.litert`, package ``ai-edge-litert``, part of the plain
  install): starts in milliseconds, small, fastest per face on a CPU;
* ``keras``: the Keras model on TensorFlow (:mod:`fer_sdk.builtin.keras_cnn`,
  ``pip install "fer_sdk[tensorflow]"``): the runtime for GPUs, training and
  export, and for options only it has (``precision``, ``device``...).

The rules, in order (:func:`choose_classifier`):

1. ``FER_SDK_CLASSIFIER=keras|litert`` in the environment: that one;
2. a classifier option that only the Keras classifier takes: ``keras``;
3. TensorFlow installed and an NVIDIA GPU visible (:func:`gpu_visible`, which
   does not import TensorFlow): ``keras``, on the GPU;
4. a model (``classifier_options={"model": ...}`` or a model folder) without a
   LiteRT file beside it: ``keras``;
5. LiteRT installed: ``litert``;
6. otherwise TensorFlow, with one log message saying so (LiteRT has no wheel
   for some platforms, e.g. Intel macOS); with neither installed, an error
   saying what to install.

The choice and its reason show in ``repr(rec)`` and ``fer-sdk plugins``; name
the classifier (``classifier="keras"``) to choose yourself.

What the recognizer's ``classifier`` argument names is decided here too
(:func:`resolve_classifier`): a registered classifier name (or alias) wins;
then a model (a path, a folder or a bundled preset name,
:func:`fer_sdk.preset.names_a_model`) runs on ``"auto"`` with ``model`` set to it.

Examples:
    >>> from fer_sdk.runtime import choose_classifier
    >>> choice = choose_classifier({})
    >>> choice.name in ("litert", "keras"), bool(choice.reason)
    (True, True)
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fer_sdk.errors import MissingExtraError, ModelLoadError

__all__ = [
    "AUTO",
    "CLASSIFIER_ENV",
    "ClassifierSpec",
    "RuntimeChoice",
    "choose_classifier",
    "gpu_visible",
    "require_tensorflow",
    "resolve_classifier",
    "tensorflow_installed",
]

logger = logging.getLogger(__name__)

AUTO = "auto"
CLASSIFIER_ENV = "FER_SDK_CLASSIFIER"
TENSORFLOW_EXTRA = "pip install 'fer_sdk[tensorflow]'"
_warned_fallback = False


@dataclass(frozen=True)
class RuntimeChoice:
    """The classifier ``"auto"`` resolves to (``name``) and why (``reason``, one short clause)."""

    name: str
    reason: str


@dataclass(frozen=True)
class ClassifierSpec:
    """What a classifier slot's name or path resolves to: a registered ``name``, its ``options``, and
    for ``"auto"`` the ``reason`` for its choice (otherwise ``None``)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def tensorflow_installed() -> bool:
    """Whether TensorFlow and Keras are installed (nothing is imported).

    Examples:
        >>> isinstance(tensorflow_installed(), bool)
        True
    """
    return _installed("tensorflow") and _installed("keras")


def require_tensorflow(what: str) -> None:
    """Raise :class:`MissingExtraError` naming ``what`` and the extra to install when TensorFlow is missing.

    Examples:
        >>> require_tensorflow("training") if tensorflow_installed() else None
    """
    if not tensorflow_installed():
        raise MissingExtraError(
            f"{what} needs TensorFlow and Keras, which the plain install leaves out: {TENSORFLOW_EXTRA} "
            "(or 'fer_sdk[gpu]' for NVIDIA GPUs)"
        )


def gpu_visible() -> bool:
    """Whether an NVIDIA GPU is visible to this process, judged without importing TensorFlow.

    True when the NVIDIA driver lists a GPU (``/proc/driver/nvidia/gpus/*``,
    ``/dev/nvidia0``, or under WSL2 its CUDA library ``/usr/lib/wsl/lib/libcuda.so``)
    and ``CUDA_VISIBLE_DEVICES`` does not hide them all (``""`` or ``"-1"``).
    Importing TensorFlow to ask it takes seconds; this takes microseconds, and
    may say True where TensorFlow then finds no usable GPU (no CUDA libraries):
    the Keras classifier then runs on the CPU.

    Examples:
        >>> isinstance(gpu_visible(), bool)
        True
    """
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        return False
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        if gpus.is_dir() and any(gpus.iterdir()):
            return True
    except OSError:
        pass
    return Path("/dev/nvidia0").exists() or Path("/usr/lib/wsl/lib/libcuda.so").exists()


def _keras_only_options(options: Mapping[str, Any]) -> list[str]:
    from fer_sdk.builtin.litert import LiteRTOptions

    return sorted(set(options) - set(LiteRTOptions.model_fields))


def _has_litert_file(model: str) -> bool:
    """Whether the model ``model`` names (preset, folder, file) comes with a usable LiteRT file."""
    from fer_sdk.builtin.litert import LiteRTClassifier

    try:
        with ExitStack() as stack:
            path, _ = LiteRTClassifier(model=model, verify_checksum=False)._locate(stack)
            return path.suffix == ".tflite" and path.is_file()  # a .keras file named as the model: Keras
    except (ModelLoadError, OSError):
        return False


def choose_classifier(options: Mapping[str, Any] | None = None) -> RuntimeChoice:
    """The classifier the default ``"auto"`` runs, for these classifier options (rules in the module doc).

    Raises:
        MissingExtraError: neither LiteRT nor TensorFlow is installed.

    Examples:
        >>> choose_classifier({"precision": "float32"})
        RuntimeChoice(name='keras', reason="Keras-only option(s) ['precision']")
    """
    options = dict(options or {})
    forced = os.environ.get(CLASSIFIER_ENV, "").strip()
    if forced and forced != AUTO:
        return RuntimeChoice(forced, f"{CLASSIFIER_ENV}={forced}")
    keras_only = _keras_only_options(options)
    if keras_only:
        return RuntimeChoice("keras", f"Keras-only option(s) {keras_only}")
    has_tf = tensorflow_installed()
    if has_tf and gpu_visible():
        return RuntimeChoice("keras", "TensorFlow is installed and an NVIDIA GPU is visible")
    model = options.get("model")
    if model is not None and not _has_litert_file(str(model)):
        return RuntimeChoice("keras", f"model {model!r} has no LiteRT file")
    from fer_sdk.builtin.litert import litert_installed

    if litert_installed():
        why = "no GPU visible" if has_tf else "TensorFlow is not installed"
        return RuntimeChoice("litert", f"{why}; LiteRT is the lightest runtime of the model")
    if has_tf:
        global _warned_fallback
        if not _warned_fallback:
            _warned_fallback = True
            logger.warning(
                "LiteRT (ai-edge-litert) is not installed (it has no wheel for some platforms): the default "
                "classifier runs the model on TensorFlow, which starts slower and uses more memory"
            )
        return RuntimeChoice("keras", "LiteRT is not installed")
    raise MissingExtraError(
        "the default classifier needs a runtime for the model: pip install ai-edge-litert (part of the plain "
        f"install where it has a wheel) or {TENSORFLOW_EXTRA}"
    )


def resolve_classifier(
    spec: str | Path, options: Mapping[str, Any] | None = None, registered: Collection[str] = ()
) -> ClassifierSpec:
    """The registered classifier and options that ``spec``, a classifier name or a model, stands for.

    A name in ``registered`` (registered names and aliases) is used as it is.
    A model (a :class:`~pathlib.Path`, or a string that names a model folder,
    a model file or a bundled preset, :func:`fer_sdk.preset.names_a_model`)
    runs on ``"auto"`` with ``model`` set to it. ``"auto"`` resolves by
    :func:`choose_classifier`. Any other name is returned as it is, for the
    registry to report as unknown.

    Examples:
        >>> resolve_classifier("keras", {}, {"keras", "litert"})
        ClassifierSpec(name='keras', options={}, reason=None)
        >>> choice = resolve_classifier("fernet_fer7_fer2013", {}, {"keras", "litert"})
        >>> choice.name in ("litert", "keras"), choice.options
        (True, {'model': 'fernet_fer7_fer2013'})
    """
    from fer_sdk.preset import names_a_model

    options = dict(options or {})
    name = str(spec)
    if isinstance(spec, Path) or (name != AUTO and name not in registered and names_a_model(name)):
        options["model"] = name
        name = AUTO
    if name != AUTO:
        return ClassifierSpec(name, options)
    choice = choose_classifier(options)
    return ClassifierSpec(choice.name, options, choice.reason)

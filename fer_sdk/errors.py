"""The fer_sdk error hierarchy, and the one warning category.

Every error the SDK raises on purpose derives from :class:`FerSdkError`. Errors
caused by what the caller passed in also derive from :class:`ValueError`, so
generic ``except ValueError`` handlers keep working. A bad option or
configuration value is a :class:`ConfigError`; inside a pydantic options model
(``extra="forbid"``) its message reaches the caller in pydantic's
``ValidationError``, which is a :class:`ValueError` as well. A broken plugin
that is skipped rather than raised is reported with a :class:`PluginWarning`.

Examples:
    >>> import fer_sdk
    >>> issubclass(fer_sdk.InvalidImageError, ValueError)
    True
"""

from __future__ import annotations

__all__ = [
    "ComponentError",
    "ConfigError",
    "DatasetError",
    "ExportError",
    "FerSdkError",
    "InvalidBoxError",
    "InvalidImageError",
    "MissingExtraError",
    "ModelLoadError",
    "PluginError",
    "PluginWarning",
    "UnknownComponentError",
]


class FerSdkError(Exception):
    """Base class of every error raised by fer_sdk."""


class InvalidImageError(FerSdkError, ValueError):
    """A frame or face crop is not an image fer_sdk can use.

    The message says what was received and what is accepted.
    """


class InvalidBoxError(FerSdkError, ValueError):
    """Face boxes passed to :meth:`fer_sdk.EmotionRecognizer.predict` are malformed or outside the frame."""


class UnknownComponentError(FerSdkError, LookupError):
    """A detector, preprocessor or classifier name is not registered.

    The message lists the names that are available.
    """


class PluginError(FerSdkError):
    """A plugin is broken: it failed to load, clashed with another or misbehaved."""


class ComponentError(FerSdkError):
    """A component (built-in or plugin) raised or returned something invalid."""


class ModelLoadError(FerSdkError):
    """Model weights or their metadata are missing, corrupt or do not match."""


class ConfigError(FerSdkError, ValueError):
    """An option or configuration value is invalid; the message names the option and what it accepts.

    Examples:
        >>> from fer_sdk.plugins import Registry
        >>> Registry(autoload=False).infos("detector")
        Traceback (most recent call last):
        ...
        fer_sdk.errors.ConfigError: unknown component kind 'detector'; use one of ['classifiers', ...]
    """


class ExportError(FerSdkError):
    """A model could not be exported: a missing converter package, a bad target or a failed conversion."""


class DatasetError(FerSdkError, ValueError):
    """A training or evaluation data set is missing or malformed."""


class MissingExtraError(FerSdkError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra to install.

    Examples:
        >>> from fer_sdk.figures import require_matplotlib
        >>> require_matplotlib("--confusion-png")  # doctest: +SKIP
        Traceback (most recent call last):
        fer_sdk.errors.MissingExtraError: --confusion-png needs matplotlib, which is not installed: pip install ...
    """


class PluginWarning(UserWarning):
    """A plugin was skipped because it is broken (failed to load, raised in a hook or clashed by name)."""

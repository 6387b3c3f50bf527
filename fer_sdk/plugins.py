"""The plugin manager and the component registry.

Plugins are discovered lazily, on the first lookup, from the ``fer_sdk``
entry-point group. Two environment variables control autoloading:

* ``FER_SDK_DISABLE_PLUGIN_AUTOLOAD=1``: load no third-party plugins (the
  built-in components stay available);
* ``FER_SDK_PLUGINS=name1,name2``: load only the entry points with these names.

A plugin that fails to import or whose hook raises is skipped with a
:class:`~fer_sdk.errors.PluginWarning` that names it; the other components keep working.

Examples:
    >>> import fer_sdk
    >>> names = [c["name"] for c in fer_sdk.available_components()["detectors"]]
    >>> "haar" in names
    True
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from fer_sdk import hookspecs
from fer_sdk.errors import ComponentError, ConfigError, FerSdkError, PluginError, PluginWarning, UnknownComponentError

__all__ = [
    "ALLOWLIST_ENV",
    "AUTOLOAD_ENV",
    "ComponentInfo",
    "Registry",
    "available_components",
    "get_registry",
]

ENTRY_POINT_GROUP = "fer_sdk"
AUTOLOAD_ENV = "FER_SDK_DISABLE_PLUGIN_AUTOLOAD"
ALLOWLIST_ENV = "FER_SDK_PLUGINS"
BUILTIN_PLUGIN = "fer_sdk.builtin"

KINDS: dict[str, str] = {
    "detectors": "register_detectors",
    "preprocessors": "register_preprocessors",
    "classifiers": "register_classifiers",
}


# the components of this project's own plugin distributions (plugins/ in the repository): an unknown name
# among these gets a hint saying which distribution to install
PROJECT_PLUGINS: dict[str, dict[str, str]] = {
    "detectors": {"mtcnn": "fer-sdk-mtcnn", "whole-frame": "fer-sdk-example", "blazeface": "fer-sdk-blazeface"},
    "preprocessors": {"aligned": "fer-sdk-align"},
    "classifiers": {"litert-int8": "fer-sdk-litert"},
}


@dataclass(frozen=True)
class ComponentInfo:
    """A registered component: its name, where it comes from and how to build it."""

    kind: str
    name: str
    factory: Callable[..., Any] = field(repr=False)
    plugin: str
    distribution: str
    aliases: tuple[str, ...] = ()
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (what :func:`available_components` lists)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "distribution": self.distribution,
            "plugin": self.plugin,
            "description": self.description,
        }


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


_ROLE_RE = re.compile(r":[\w:.]+:`~?([^`<]+?)(?:\s*<[^>]*>)?`")
_LITERAL_RE = re.compile(r"``([^`]+)``")


def _plain(text: str) -> str:
    """Docstring markup (``literal``, :class:`~x.Name`) as plain text, for listings in a terminal."""
    return _LITERAL_RE.sub(r"\1", _ROLE_RE.sub(lambda m: m.group(1).split(".")[-1], text))


def _first_line(obj: Any) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    return _plain(doc.strip().splitlines()[0]) if doc.strip() else ""


def _install_hint(kind: str, name: str, autoload: bool) -> str:
    """Where ``name`` comes from when it is a component of one of this project's plugin distributions."""
    dist = PROJECT_PLUGINS.get(kind, {}).get(name)
    if dist is None:
        return ""
    if not autoload:
        return f"; {name!r} comes from the plugin {dist}, and plugin autoloading is off ({AUTOLOAD_ENV} is set)"
    allow = os.environ.get(ALLOWLIST_ENV)
    if allow is not None:
        return f"; {name!r} comes from the plugin {dist}: is its entry point named in {ALLOWLIST_ENV}={allow!r}?"
    return (
        f"; {name!r} comes from the plugin {dist}, which is not installed: pip install plugins/{dist} (in a checkout)"
    )


class Registry:
    """Owns the pluggy manager and the name tables of the three component kinds.

    Args:
        autoload: load third-party plugins from entry points; ``None`` reads
            ``FER_SDK_DISABLE_PLUGIN_AUTOLOAD`` and ``FER_SDK_PLUGINS``.
    """

    def __init__(self, autoload: bool | None = None) -> None:
        self._autoload = autoload
        self._lock = threading.RLock()
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._dists: dict[str, str] = {}
        self._loaded = False
        self._collected = False
        self._table: dict[str, dict[str, ComponentInfo]] = {}
        self._aliases: dict[str, dict[str, str]] = {}
        self._conflicts: dict[str, dict[str, list[ComponentInfo]]] = {}

    # plugins ---------------------------------------------------------------
    def register_plugin(self, plugin: ModuleType | object, name: str | None = None, distribution: str = "") -> str:
        """Register a plugin object (module or instance with hookimpls) at run time.

        Returns the plugin's name, for :meth:`unregister_plugin`.

        Examples:
            >>> import fer_sdk
            >>> class Plugin:
            ...     @fer_sdk.hookimpl
            ...     def register_detectors(self, register):
            ...         pass
            >>> reg = fer_sdk.plugins.Registry(autoload=False)
            >>> reg.unregister_plugin(reg.register_plugin(Plugin(), name="demo"))
        """
        with self._lock:
            self._ensure_plugins()
            try:
                registered = self._pm.register(plugin, name=name)
            except ValueError as exc:
                raise PluginError(f"cannot register plugin {name or plugin!r}: {exc}") from exc
            if registered is None:
                raise PluginError(f"plugin {name or plugin!r} is blocked")
            try:
                self._pm.check_pending()
            except pluggy.PluginValidationError as exc:
                self._pm.unregister(name=registered)
                raise PluginError(f"plugin {registered!r}: {exc}") from exc
            self._dists[registered] = distribution or getattr(plugin, "__name__", registered)
            self._collected = False
            return registered

    def unregister_plugin(self, name: str) -> None:
        """Remove a plugin registered with :meth:`register_plugin` (its components go with it)."""
        with self._lock:
            self._pm.unregister(name=name)
            self._dists.pop(name, None)
            self._collected = False

    def _autoload_enabled(self) -> bool:
        if self._autoload is not None:
            return self._autoload
        return not _truthy(os.environ.get(AUTOLOAD_ENV))

    def _ensure_plugins(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from fer_sdk import builtin

        self._pm.register(builtin, name=BUILTIN_PLUGIN)
        self._dists[BUILTIN_PLUGIN] = f"fer_sdk {_version('fer_sdk')}"
        if self._autoload_enabled():
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        allow_raw = os.environ.get(ALLOWLIST_ENV)
        allow = {n.strip() for n in allow_raw.split(",") if n.strip()} if allow_raw is not None else None
        for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allow is not None and ep.name not in allow:
                continue
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "unknown distribution"
            where = f"fer_sdk plugin {ep.name!r} ({dist}, {ep.value})"
            if self._pm.has_plugin(ep.name):
                warnings.warn(
                    f"{where} skipped: another plugin is already named {ep.name!r}", PluginWarning, stacklevel=4
                )
                continue
            try:
                obj = ep.load()
                self._pm.register(obj, name=ep.name)
                self._pm.check_pending()
            except Exception as exc:  # one broken plugin must not break the others
                if self._pm.has_plugin(ep.name):
                    self._pm.unregister(name=ep.name)
                warnings.warn(
                    f"{where} failed to load and is skipped: {type(exc).__name__}: {exc}", PluginWarning, stacklevel=4
                )
                continue
            self._dists[ep.name] = dist

    # components ------------------------------------------------------------
    def _collect(self) -> None:
        with self._lock:
            self._ensure_plugins()
            if self._collected:
                return
            table: dict[str, dict[str, ComponentInfo]] = {k: {} for k in KINDS}
            aliases: dict[str, dict[str, str]] = {k: {} for k in KINDS}
            conflicts: dict[str, dict[str, list[ComponentInfo]]] = {k: {} for k in KINDS}
            for kind, hook_name in KINDS.items():
                hook = getattr(self._pm.hook, hook_name)
                # oldest first, so built-ins and earlier plugins are listed first
                for impl in reversed(hook.get_hookimpls()):
                    self._call_impl(kind, impl, table[kind], aliases[kind], conflicts[kind])
            self._table, self._aliases, self._conflicts = table, aliases, conflicts
            self._collected = True

    def _call_impl(
        self,
        kind: str,
        impl: Any,
        table: dict[str, ComponentInfo],
        aliases: dict[str, str],
        conflicts: dict[str, list[ComponentInfo]],
    ) -> None:
        plugin = impl.plugin_name
        dist = self._dists.get(plugin, plugin)
        staged: list[ComponentInfo] = []

        def register(factory: Callable[..., Any], name: str | None = None, aliases: Iterable[str] = ()) -> None:
            comp_name = name or getattr(factory, "name", "") or ""
            if not isinstance(comp_name, str) or not comp_name:
                raise PluginError(f"plugin {plugin!r} registered {factory!r} without a name")
            if not callable(factory):
                raise PluginError(f"plugin {plugin!r} registered {comp_name!r} with a non-callable {factory!r}")
            staged.append(ComponentInfo(kind, comp_name, factory, plugin, dist, tuple(aliases), _first_line(factory)))

        try:
            impl.function(*[{"register": register}[arg] for arg in impl.argnames])
        except Exception as exc:
            warnings.warn(
                f"fer_sdk plugin {plugin!r} ({dist}) raised in {KINDS[kind]} and its {kind} are skipped: "
                f"{type(exc).__name__}: {exc}",
                PluginWarning,
                stacklevel=5,
            )
            return
        for info in staged:
            for key in (info.name, *info.aliases):
                owner = table.get(key) or table.get(aliases.get(key, ""))
                if owner is not None or key in conflicts:
                    clash = conflicts.setdefault(key, [owner] if owner is not None else [])
                    clash.append(info)
                    warnings.warn(
                        f"{kind[:-1]} name {key!r} is claimed by both plugin {clash[0].plugin!r} "
                        f"({clash[0].distribution}) and plugin {info.plugin!r} ({info.distribution}); "
                        "using it is an error until one of them is removed",
                        PluginWarning,
                        stacklevel=5,
                    )
            table.setdefault(info.name, info)
            for alias in info.aliases:
                aliases.setdefault(alias, info.name)

    def infos(self, kind: str) -> list[ComponentInfo]:
        """The registered components of ``kind`` (``detectors``, ``preprocessors`` or ``classifiers``)."""
        self._check_kind(kind)
        self._collect()
        return list(self._table[kind].values())

    def get(self, kind: str, name: str) -> ComponentInfo:
        """Look up a component by name or alias.

        Raises:
            UnknownComponentError: no such name; the message lists the available ones.
            PluginError: two plugins claim the name; the message names both.
        """
        self._check_kind(kind)
        self._collect()
        if name in self._conflicts[kind]:
            clash = self._conflicts[kind][name]
            owners = " and ".join(f"plugin {c.plugin!r} ({c.distribution})" for c in clash)
            raise PluginError(f"{kind[:-1]} name {name!r} is claimed by {owners}; uninstall or disable one of them")
        info = self._table[kind].get(name) or self._table[kind].get(self._aliases[kind].get(name, ""))
        if info is None:
            available = ", ".join(sorted(self._table[kind])) or "(none)"
            hint = _install_hint(kind, name, self._autoload_enabled())
            raise UnknownComponentError(f"unknown {kind[:-1]} {name!r}; available {kind}: {available}{hint}")
        return info

    def create(self, kind: str, name: str, options: dict[str, Any] | None = None) -> Any:
        """Build the component ``name`` of ``kind`` with keyword ``options``."""
        info = self.get(kind, name)
        try:
            return info.factory(**(options or {}))
        except FerSdkError:
            raise
        except Exception as exc:
            raise ComponentError(
                f"could not create {kind[:-1]} {name!r} from plugin {info.plugin!r} ({info.distribution}) "
                f"with options {options or {}}: {type(exc).__name__}: {exc}"
            ) from exc

    def available(self) -> dict[str, list[dict[str, Any]]]:
        """Every component, by kind, as JSON-friendly dicts."""
        return {kind: [info.as_dict() for info in self.infos(kind)] for kind in KINDS}

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown component kind {kind!r}; use one of {sorted(KINDS)}")


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "(source tree)"


_REGISTRY: Registry | None = None
_REGISTRY_LOCK = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry (created on first use)."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = Registry()
        return _REGISTRY


def available_components() -> dict[str, list[dict[str, Any]]]:
    """List the detectors, preprocessors and classifiers that can be used by name.

    Returns:
        ``{"detectors": [...], "preprocessors": [...], "classifiers": [...]}``;
        each entry has ``name``, ``aliases``, ``distribution``, ``plugin`` and
        ``description``.

    Examples:
        >>> import fer_sdk
        >>> sorted(fer_sdk.available_components())
        ['classifiers', 'detectors', 'preprocessors']
    """
    return get_registry().available()

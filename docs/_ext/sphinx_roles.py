"""Griffe extension: render the Sphinx roles used in fer_sdk docstrings as Markdown.

The fer_sdk docstrings are Google style but use reStructuredText roles for
cross-references (``:class:`~fer_sdk.Box```) and ``::`` before literal blocks.
This extension rewrites them, at load time, into optional mkdocs-autorefs
cross-references (a link when the target is documented on the site, plain code
otherwise) and single colons. It changes only the rendered site, not the code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const):`(?P<tilde>~?)(?P<target>[^`]+)`")
LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.MULTILINE)


def _resolve(obj: griffe.Object, target: str) -> str:
    """Full path of ``target`` as seen from ``obj``; ``target`` itself when unknown."""
    if target.startswith("fer_sdk."):
        return target
    scope: griffe.Object | None = obj
    while scope is not None:
        if target.split(".", 1)[0] in scope.members:
            return f"{scope.path}.{target}"
        try:
            return scope.resolve(target)
        except (griffe.NameResolutionError, AttributeError):
            scope = scope.parent
    return target


def _rewrite(obj: griffe.Object, text: str) -> str:
    def role(match: re.Match[str]) -> str:
        target = match["target"]
        shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
        return f'<autoref identifier="{_resolve(obj, target)}" optional><code>{shown}</code></autoref>'

    return LITERAL_MARKER.sub(":", ROLE.sub(role, text))


def _walk(obj: griffe.Object) -> None:
    if obj.docstring is not None:
        obj.docstring.value = _rewrite(obj, obj.docstring.value)
    for member in obj.members.values():
        if not member.is_alias:
            _walk(member)  # type: ignore[arg-type]


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles and literal-block markers in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        # once the whole package is loaded, so that names relative to a scope resolve
        _walk(pkg)

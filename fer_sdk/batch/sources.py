"""What a batch run processes: image files, video files, folders, glob patterns and list files, expanded."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal, NamedTuple

from fer_sdk.errors import FerSdkError
from fer_sdk.video import VIDEO_SUFFIXES

__all__ = ["IMAGE_SUFFIXES", "LIST_SUFFIXES", "VIDEO_SUFFIXES", "Source", "expand_sources"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".jp2", ".pgm", ".ppm", ".pbm"})
LIST_SUFFIXES = frozenset({".txt", ".lst", ".list"})
_GLOB_CHARS = set("*?[")


class Source(NamedTuple):
    """One item of a corpus: an absolute file path and whether it is read as an image or a video.

    Examples:
        >>> Source("/data/a.mp4", "video").kind
        'video'
    """

    path: str
    kind: Literal["image", "video"]


def _kind(path: str) -> Literal["image", "video"]:
    return "video" if Path(path).suffix.lower() in VIDEO_SUFFIXES else "image"


def _media(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in IMAGE_SUFFIXES or suffix in VIDEO_SUFFIXES


def _walk(folder: Path) -> Iterator[str]:
    seen: set[str] = set()  # real paths of the folders walked: a link back up the tree is not followed twice
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and _media(Path(name)):
                yield os.path.abspath(os.path.join(root, name))


def _expand_one(spec: str, empty: list[str], depth: int = 0) -> Iterator[str]:
    path = Path(spec).expanduser()
    if path.is_dir():
        found = False
        for item in _walk(path):
            found = True
            yield item
        if not found:
            empty.append(spec)
        return
    if path.suffix.lower() in LIST_SUFFIXES and path.is_file():
        if depth > 0:
            raise FerSdkError(f"{spec}: a list file inside a list file is not supported")
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = line.strip()
            if entry and not entry.startswith("#"):
                yield from _expand_one(entry, empty, depth + 1)
        return
    if not path.exists() and _GLOB_CHARS & set(spec):
        matches = sorted(glob.glob(str(path), recursive=True))
        files = [m for m in matches if Path(m).is_file() and _media(Path(m))]
        dirs = [m for m in matches if Path(m).is_dir()]
        if not files and not dirs:
            empty.append(spec)
        for m in files:
            yield os.path.abspath(m)
        for d in dirs:
            yield from _expand_one(d, empty, depth)
        return
    # an explicit file is taken as it is, whatever its name: a missing or unreadable one becomes an error row
    yield os.path.abspath(path)


def expand_sources(specs: Iterable[str | os.PathLike[str]]) -> tuple[list[Source], list[str]]:
    """Expand image and video files, folders (recursively), glob patterns and list files into sources.

    A list file (``.txt``, ``.lst`` or ``.list``) names one source per line (folders and
    patterns too; blank lines and lines starting with ``#`` are skipped; relative paths
    are taken from the current folder). Folders and patterns yield the files whose suffix
    is an image's or a video's, in sorted order, skipping hidden files; a file named
    explicitly is kept whatever its suffix (one that cannot be read becomes an error row).
    Duplicates are dropped.

    Returns:
        The sources (absolute paths, first occurrence order) and the folders or patterns
        that matched no image or video.

    Examples:
        >>> sources, empty = expand_sources(["examples/images"])
        >>> [Path(s.path).name for s in sources], empty
        (['astronaut.png', 'grace_hopper.jpg'], [])
    """
    empty: list[str] = []
    seen: dict[str, None] = {}
    for spec in specs:
        for path in _expand_one(os.fspath(spec), empty):
            seen.setdefault(path, None)
    return [Source(p, _kind(p)) for p in seen], empty

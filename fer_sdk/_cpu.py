"""The CPU's feature flags, read once: what the runtimes' precision choices depend on."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str] | None:
    """The flags of ``/proc/cpuinfo`` (x86 ``flags``, Arm ``Features``), or ``None`` where it cannot be read.

    Examples:
        >>> flags = cpu_flags()
        >>> flags is None or isinstance(flags, frozenset)
        True
    """
    try:
        return frozenset(Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore").split())
    except OSError:  # not Linux
        return None

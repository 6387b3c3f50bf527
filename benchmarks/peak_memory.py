"""Peak resident memory of the running process, for the benchmarks that report it."""

from __future__ import annotations

import sys
from pathlib import Path


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` on Linux, else ``ru_maxrss``.

    Not ``ru_maxrss`` on Linux: it survives ``exec``, so a worker started by a large parent
    would report the parent's size at the fork.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak / 2**20 if sys.platform == "darwin" else peak / 1024)  # bytes on macOS, KiB elsewhere

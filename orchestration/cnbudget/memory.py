"""How much memory this process has held: what sizing an extraction worker needs."""

from __future__ import annotations

from pathlib import Path


def peak_memory_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM, which, unlike ru_maxrss,
    does not count the parent's pages a spawned worker held between fork and exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

"""How many accounts a run works on at once, chosen from the machine: its CPUs and the memory it
has free. Every account is one browser context in the run's one browser, so each extra account
costs one context's memory and a share of the CPUs, never a browser of its own.

`pick()` is the rule (pure, so it is tested for every kind of machine); `machine()` reads what the
rule needs from this machine (respecting CPU affinity and a container's cgroup limits)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

#: Memory one more account costs, in MiB. Measured on the sandbox replicas (2026-12-02, Chromium
#: 150 headless, 2-CPU 24 GiB machine): 1, 7 and 13 contexts open at once in one browser, each on
#: a different signed-in replica page with its control found, memory summed over the whole process
#: tree (Python, Playwright's driver, Chromium and its children) with psutil. Each extra context
#: added +30 MiB of PSS (+151 MiB of RSS, which counts the browser's shared pages once per
#: process); on the real-weight replica (7 MB of images, fonts, video, scripts; nothing blocked)
#: +44 MiB of PSS (+172 MiB RSS). Real settings pages run more script than a replica, so the
#: budget is the RSS figure rounded up: it errs towards fewer accounts at once, never towards
#: swapping. (Measured with a throw-away script; `python -m optout.bench --scale` prints the
#: per-account figure of its own runs.)
CONTEXT_MIB = 200
#: Python, the Playwright driver and the browser's own processes before any account (measured the
#: same way: 438 MiB PSS with one context open), rounded up.
BASE_MIB = 500
#: Only this share of the free memory is planned for: the person's other programs keep running.
MEMORY_SHARE = 0.5
#: Accounts per CPU. On real sites an account's time is mostly waiting for the network and for
#: pages to settle, which a second account per CPU fills (reasoned, not measured: no real site is
#: contacted). More buys nothing once the CPUs are the
#: bottleneck: on the replicas (which answer at once), 30 accounts on the loaded 2-CPU machine
#: above took 15.8, 17.1, 16.9 and 15.7 s with 2, 4, 8 and 30 at once, while peak RSS grew from
#: 1164 to 1464, 2074 and 5413 MiB (`python -m optout.bench --scale --sizes 30 --concurrency N`).
PER_CPU = 2
#: Never more than this at once, however large the machine: a person's accounts are few, and many
#: sign-ins at once from one address look like automation to a platform.
CAP = 8


@dataclass(frozen=True)
class Capacity:
    """What a run was allowed: `accounts` at once, and the machine figures that decided it
    (`override` when the person or caller gave the number)."""

    accounts: int
    cpus: int
    available_mib: int
    override: bool = False


def pick(cpus: int, available_mib: int, override: int | None = None) -> int:
    """Accounts at once for a machine with `cpus` usable CPUs and `available_mib` of free memory;
    `override` (a positive number) wins. Never less than 1: a small machine runs accounts one
    after the other rather than not at all."""
    if override is not None:
        return max(1, int(override))
    by_cpu = max(1, cpus) * PER_CPU
    by_memory = int((available_mib * MEMORY_SHARE - BASE_MIB) // CONTEXT_MIB)
    return max(1, min(by_cpu, by_memory, CAP))


def usable_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: its affinity, and a container's CPU quota when lower."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cpus = os.cpu_count() or 1
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def free_mib(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """Memory free for new work: the system's available memory, or what is left under a
    container's memory limit when that is less."""

    free = psutil.virtual_memory().available
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            used = int((cgroup / "memory.current").read_text().strip())
            free = min(free, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return int(free // 2**20)


def machine(override: int | None = None) -> Capacity:
    """This machine's capacity now; an override skips reading the machine."""
    if override is not None:
        return Capacity(pick(0, 0, override), 0, 0, override=True)
    cpus, free = usable_cpus(), free_mib()
    return Capacity(pick(cpus, free), cpus, free)

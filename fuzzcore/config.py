"""Named machine configurations (SPEC 1.1): how many CPUs, user-task slots and kthreads.

Data flow: a configuration is fixed for a run; the program parser validates CPU and task
names against it and the machine core sizes its initial state from it.

Task numbering inside the core: user slots ``t0..t(nuser-1)`` are tasks ``0..nuser-1``, kernel
threads ``k0..`` follow, then one idle task per CPU.  The core's state layout is sized for the
largest configuration, so every configuration shares one layout.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    name: str
    ncpu: int
    nuser: int      # user-task slots (t0..); free ones are what fork/clone fill
    nlive: int      # user tasks live at start
    nkthread: int   # kernel threads (k0..)
    code: int       # the number the core knows this configuration by

    @property
    def ntask(self) -> int:
        """Every task the core knows: user slots, kthreads, one idle task per CPU."""
        return self.nuser + self.nkthread + self.ncpu

    def kthread_id(self, n: int) -> int:
        return self.nuser + n

    def idle_id(self, cpu: int) -> int:
        return self.nuser + self.nkthread + cpu

    def task_name(self, tid: int) -> str:
        if tid < self.nuser:
            return f"t{tid}"
        if tid < self.nuser + self.nkthread:
            return f"k{tid - self.nuser}"
        return f"idle{tid - self.nuser - self.nkthread}"


CONFIGS: dict[str, Config] = {
    "small": Config("small", ncpu=2, nuser=4, nlive=3, nkthread=1, code=0),
    "medium": Config("medium", ncpu=3, nuser=6, nlive=4, nkthread=1, code=1),
    "large": Config("large", ncpu=4, nuser=8, nlive=6, nkthread=2, code=2),
}
DEFAULT_CONFIG = "small"

VENDORS = {"intel": 0, "amd": 1}
DEFAULT_VENDOR = "intel"


def get_config(name: str) -> Config:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(
            f"unknown configuration {name!r} (valid: {', '.join(CONFIGS)})") from None

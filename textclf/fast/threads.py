"""How many cores this process may use, and how many threads torch gets for training: global to
the process, so set by the entry points alone (streamlit_app.py, the command line as a training
starts, the bench's measuring process)."""

from __future__ import annotations

import functools
import math
import os

import torch

from textclf.fast import native


@functools.cache
def available_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota (a
    hosted demo's container often sees every core of the host but may use only one or two)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota: the affinity is the limit
    return max(1, cores or 1)


def set_torch_threads(native: bool) -> int:
    """Torch threads for a training run. One with the C kernels: torch's small layers do not pay for
    a second thread, and its spinning OpenMP threads stall on a busy core (bench/README.md); the
    kernels' own threads do not spin. Without them: every core (more threads than cores contend)."""
    torch.set_num_threads(1 if native else available_cores())
    return torch.get_num_threads()


def set_threads_for_training(config=None) -> int:
    """set_torch_threads for what make_optimizer picks: the C kernels where they can be built (not
    building them: a page's start must not wait for a compiler), for Adam without weight decay
    (config None: the app's default), else PyTorch's on every core."""
    adam = config is None or (config.optimizer == "adam" and config.weight_decay == 0)
    return set_torch_threads(native=adam and native.buildable())

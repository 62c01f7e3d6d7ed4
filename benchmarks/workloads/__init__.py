"""The workloads W1..W7: what is measured, on which inputs, and how a result is read.

W1..W5 are *timed* workloads: a list of `Case`s, each run by every library's
worker, round-robin, after a correctness check.  W6 (memory) and W7 (cold start)
need fresh processes and are run by `workloads.process`.
"""
from .timed import TIMED_WORKLOADS, Case, Workload  # noqa: F401

PROCESS_WORKLOADS = {
    "W6": "peak memory (RSS) of W1 training steps at batch 128",
    "W7": "cold start: fresh process, import + first W1 training step",
}

ALL_KEYS = tuple(TIMED_WORKLOADS) + tuple(PROCESS_WORKLOADS)

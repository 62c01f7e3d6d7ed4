"""Data parallelism over processes (torch.nn.parallel's names): `DistributedDataParallel`.

Needs a process group (``autograd_core.distributed.init_process_group``); see
that module for launching with ``mpiexec``.
"""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]

"""Run by test_distributed_mpi.py under mpiexec -n 2: rank 1 raises while rank 0 waits in a collective.

Without the abort that init_process_group installs, rank 0 would wait in
all_reduce forever; with it, mpiexec ends the job with a non-zero status.
"""
import autograd_core as ag
import autograd_core.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
t = ag.ones(3)
dist.all_reduce(t)
dist.barrier()
print("survived", flush=True)

"""Many processes over MPI, with torch.distributed's names.

    import autograd_core.distributed as dist
    dist.init_process_group(backend="mpi")
    dist.all_reduce(t, op=dist.ReduceOp.SUM)      # in place, as torch

Launch with ``mpiexec -n 2 python script.py`` (the ``distributed`` extra,
``pip install -e ".[distributed]"``, brings mpi4py and MPICH, whose ``mpiexec``
lands in the virtual environment).  A script started without ``mpiexec`` is a
world of size 1 and runs unchanged, even where mpi4py is not installed.

With several ranks on few cores, give each rank one BLAS and Numba thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1``): two ranks
with two threads each on two cores spend their time descheduling each other.

mpi4py is imported on the first `init_process_group`, never by
``import autograd_core``.  Once a group of more than one rank exists, an
uncaught exception on any rank calls ``MPI_Abort``, so ``mpiexec`` ends the
whole job instead of the other ranks waiting forever in their next collective.
"""
import os
import sys
import traceback

import numpy as np

from .tensor import Tensor

__all__ = ["ReduceOp", "Work", "is_available", "is_mpi_available", "is_initialized", "init_process_group",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size", "barrier", "all_reduce",
           "broadcast", "all_gather"]

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class ReduceOp:
    """The reductions of `all_reduce` (torch's names): ``SUM PRODUCT MIN MAX BAND BOR BXOR AVG``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<ReduceOp.{self.name}>"


for _name in ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "AVG"):
    setattr(ReduceOp, _name, ReduceOp(_name))
del _name

# AVG is SUM followed by a division (MPI has no average); the rest map one to one.
_MPI_OP_NAMES = {"SUM": "SUM", "AVG": "SUM", "PRODUCT": "PROD", "MIN": "MIN", "MAX": "MAX",
                 "BAND": "BAND", "BOR": "BOR", "BXOR": "BXOR"}


class _World:
    """The default group: a private duplicate of MPI_COMM_WORLD (None for a world of one without mpi4py)."""

    def __init__(self, comm, mpi):
        self.comm = comm
        self.mpi = mpi
        self.rank = comm.Get_rank() if comm is not None else 0
        self.size = comm.Get_size() if comm is not None else 1
        self.previous_excepthook = None


_world = None


def _launched_world_size():
    """The world size a launcher announced in the environment (MPICH/Hydra, Open MPI, Slurm), or 1."""
    for variable in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS"):
        value = os.environ.get(variable)
        if value and value.isdigit():
            return int(value)
    return 1


def is_available():
    """True: the package always works (a world of size 1 needs no MPI)."""
    return True


def is_mpi_available():
    """True if mpi4py can be imported (worlds of more than one process need it)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_initialized():
    """True between `init_process_group` and `destroy_process_group`."""
    return _world is not None


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the processes started by ``mpiexec`` into the default group (torch's signature).

    Only ``backend="mpi"`` (or None) exists: processes, ranks and the world size
    come from ``mpiexec``, so `init_method`, `store` and the rest are accepted for
    torch scripts and ignored, except that an explicit `world_size` or `rank`
    must agree with MPI's.
    """
    global _world
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not available; autograd_core.distributed "
                         "runs on MPI: use backend='mpi' and launch with mpiexec -n N python script.py")
    world = _World(*_open_communicator())
    for name, given, actual in (("world_size", world_size, world.size), ("rank", rank, world.rank)):
        if given is not None and given != -1 and given != actual:
            _close(world)
            raise ValueError(f"init_process_group: {name}={given} was requested, but mpiexec started this "
                             f"process with {name}={actual}")
    if world.size > 1:
        world.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception
    _world = world


def _open_communicator():
    launched = _launched_world_size()
    try:
        from mpi4py import MPI
    except ImportError:
        if launched > 1:
            raise ImportError(
                f"init_process_group: this process was started as one of {launched} MPI ranks, but mpi4py is "
                "not installed; install the distributed extra: pip install 'autograd-core[distributed]'"
            ) from None
        return None, None  # a plain `python script.py`: a world of one needs no MPI at all
    # A duplicate keeps this library's messages apart from any the user sends on COMM_WORLD.
    return MPI.COMM_WORLD.Dup(), MPI


def _abort_on_uncaught_exception(kind, value, trace):
    """Print the traceback, then end every rank: the others would wait forever in their next collective."""
    traceback.print_exception(kind, value, trace)
    sys.stderr.flush()
    world = _world
    if world is not None and world.comm is not None:
        world.mpi.COMM_WORLD.Abort(1)


def _close(world):
    if world.comm is not None:
        world.comm.Free()


def destroy_process_group(group=None):
    """Leave the default group (MPI itself is finalized when the process exits)."""
    global _world
    world = _require_world()
    if world.previous_excepthook is not None and sys.excepthook is _abort_on_uncaught_exception:
        sys.excepthook = world.previous_excepthook
    _close(world)
    _world = None


def _require_world():
    if _world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world


def get_backend(group=None):
    """The backend of the default group: ``"mpi"``."""
    _require_world()
    return "mpi"


def get_rank(group=None):
    """This process's rank in the default group, 0 .. world size - 1."""
    return _require_world().rank


def get_world_size(group=None):
    """The number of processes in the default group."""
    return _require_world().size


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank has reached this call."""
    world = _require_world()
    if world.comm is not None:
        world.comm.Barrier()
    return Work(None, None) if async_op else None


class Work:
    """A collective started with ``async_op=True``: `wait()` finishes it, `is_completed()` polls it.

    Polling is also how a non-blocking collective makes progress: MPICH advances
    one only inside MPI calls, so a caller with other work to do should call
    `is_completed()` now and then.
    """

    def __init__(self, request, finish):
        self._request = request
        self._finish = finish

    def is_completed(self):
        """True once the collective has finished (an MPI_Test: it also drives progress)."""
        if self._request is not None and not self._request.Test():
            return False
        self._complete()
        return True

    def wait(self, timeout=None):
        """Block until the collective has finished; its result is then in the tensor. Returns True."""
        if self._request is not None:
            self._request.Wait()
        self._complete()
        return True

    def _complete(self):
        self._request = None
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()


def _buffer_of(tensor, name):
    """The tensor's own memory, checked: collectives read and write it in place."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    array = np.asarray(tensor)
    if not array.flags.c_contiguous:
        raise ValueError(f"{name}: input tensor has to be contiguous (shape {tuple(array.shape)}, strides "
                         f"{array.strides}); call .contiguous() first")
    if not array.flags.writeable:
        raise ValueError(f"{name}: the tensor's memory is read-only (a broadcast view?); call .clone() first")
    return array


def _mark_changed(tensor):
    # The collective wrote the tensor's memory behind the tape's back: bump its version, as an
    # in-place op would, so a backward that saved it refuses stale values instead of using them.
    version = getattr(tensor, "_version", None)
    if version is not None:
        version[0] += 1


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across all ranks, in place: afterwards every rank holds the result.

    ``op`` is a `ReduceOp`; ``AVG`` is the sum divided by the world size (float
    tensors only).  With ``async_op=True`` a `Work` is returned and the tensor
    holds the result once ``wait()`` returns.
    """
    world = _require_world()
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a ReduceOp (e.g. ReduceOp.SUM), got {op!r}")
    array = _buffer_of(tensor, "all_reduce")
    if op is ReduceOp.AVG and array.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got dtype {array.dtype}")

    def finish():
        if op is ReduceOp.AVG and world.size > 1:
            np.divide(array, world.size, out=array)
        _mark_changed(tensor)

    if world.comm is None or world.size == 1:
        work = Work(None, finish)
    else:
        mpi_op = getattr(world.mpi, _MPI_OP_NAMES[op.name])
        if async_op:
            work = Work(world.comm.Iallreduce(world.mpi.IN_PLACE, array, op=mpi_op), finish)
        else:
            world.comm.Allreduce(world.mpi.IN_PLACE, array, op=mpi_op)
            work = Work(None, finish)
    if async_op:
        return work
    work.wait()
    return None


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy `tensor` from rank `src` into the same tensor on every other rank, in place."""
    world = _require_world()
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < world.size:
        raise ValueError(f"broadcast: invalid root rank: {src} (the world has ranks 0 .. {world.size - 1})")
    array = _buffer_of(tensor, "broadcast")
    if world.comm is None or world.size == 1:
        work = Work(None, None)
    elif async_op:
        work = Work(world.comm.Ibcast(array, root=int(src)), lambda: _mark_changed(tensor))
    else:
        world.comm.Bcast(array, root=int(src))
        work = Work(None, lambda: _mark_changed(tensor))
    if async_op:
        return work
    work.wait()
    return None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's `tensor`, on every rank.

    `tensor_list` holds one tensor per rank, each of `tensor`'s shape and dtype.
    """
    world = _require_world()
    source = _buffer_of(tensor, "all_gather") if isinstance(tensor, Tensor) else None
    if source is None:
        raise TypeError(f"all_gather: expected a Tensor to send, got {type(tensor).__name__}")
    if not isinstance(tensor_list, list) or len(tensor_list) != world.size:
        got = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list).__name__
        raise ValueError(f"all_gather: tensor_list must be a list of {world.size} tensors (one per rank), got {got}")
    for position, target in enumerate(tensor_list):
        if not isinstance(target, Tensor):
            raise TypeError(f"all_gather: tensor_list[{position}] is a {type(target).__name__}, expected a Tensor")
        if tuple(target.shape) != source.shape or np.dtype(target.dtype) != source.dtype:
            raise ValueError(f"all_gather: invalid tensor size at index {position} (expected {source.shape} "
                             f"{source.dtype}, got {tuple(target.shape)} {np.dtype(target.dtype)})")
    gathered = np.empty((world.size,) + source.shape, dtype=source.dtype)

    def finish():
        from .creation import from_numpy
        from .grad_mode import no_grad

        with no_grad():
            for position, target in enumerate(tensor_list):
                target.copy_(from_numpy(gathered[position]))

    if world.comm is None or world.size == 1:
        gathered[0] = source
        work = Work(None, finish)
    elif async_op:
        work = Work(world.comm.Iallgather(np.ascontiguousarray(source), gathered), finish)
    else:
        world.comm.Allgather(source, gathered)
        work = Work(None, finish)
    if async_op:
        return work
    work.wait()
    return None

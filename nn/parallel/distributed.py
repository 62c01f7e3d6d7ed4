"""DistributedDataParallel: one model replica per MPI rank, gradients averaged during backward.

    dist.init_process_group(backend="mpi")
    model = nn.parallel.DistributedDataParallel(nn.Sequential(...))
    loss_fn(model(xb), yb).backward()     # every rank now holds the mean gradient
    opt.step()

How: a gradient hook on every parameter copies the gradient ``.grad`` is about
to hold into its bucket (see `buckets`); when a bucket's last gradient arrives,
a non-blocking all-reduce of the whole bucket starts, and each later hook polls
the ones in flight (MPICH moves a non-blocking collective forward only inside MPI
calls).  The hook of the last parameter waits for every bucket and writes the
averages into the ``.grad`` of every parameter.

Overlap, measured (benchmarks/distributed.py, 2 ranks on 2 cores): the engine runs
leaf hooks after the whole reverse pass, so the buckets fill at its very end and
there is no backward left to hide the all-reduces behind.  Even with hooks fired
as each leaf's gradient completes (tried on a patched engine), MPICH did not
finish the first bucket during the remaining backward (Request.Test() from the
hooks is too rare), and MPICH's progress thread (MPIR_CVAR_ASYNC_PROGRESS=1) did,
but doubled the backward time by taking the cores the ranks compute on.

BatchNorm keeps per-rank statistics, as torch's DDP without SyncBatchNorm: in
train mode each rank normalises with the mean and variance of its own
mini-batch, so two ranks on batch B are not one process on batch 2B.  Running
statistics (buffers) are broadcast from rank 0 before each forward that will be
followed by a synchronised backward (``broadcast_buffers=True``, torch's default),
so every rank evaluates with rank 0's running statistics.
"""
import contextlib
import time

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist

from ..module import Module
from .buckets import Bucket, assign_buckets

_UNFINISHED_REDUCTION = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss ({missing} of {expected} parameters "
    "received no gradient). Make sure all forward outputs participate in calculating the loss; "
    "find_unused_parameters=True is not supported here."
)


class DistributedDataParallel(Module):
    """Wrap `module` so that ``backward()`` leaves every rank with the gradient averaged over all ranks.

    At construction rank 0's parameters and buffers are copied to every rank.
    `bucket_cap_mb` bounds the size of one all-reduce (the first bucket is at most
    1 MiB, as torch).  ``state_dict()`` keys start with ``module.``; save
    ``ddp.module.state_dict()`` (on rank 0 only) for a checkpoint that a plain,
    single-process model loads.  `device_ids`, `output_device`, `dim`,
    `gradient_as_bucket_view` and `static_graph` are accepted for torch scripts
    and change nothing on the CPU.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=25, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got {type(module).__name__}")
        if find_unused_parameters:
            raise NotImplementedError("DistributedDataParallel: find_unused_parameters=True is not supported; "
                                      "every parameter must receive a gradient in each synchronised backward")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        world_size = dist.get_world_size()   # raises torch's error when there is no process group
        params = [param for param in module.parameters() if param.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_bytes_cap = int(bucket_cap_mb * 1024 * 1024)
        self.require_backward_grad_sync = True
        self._world_size = world_size
        self._params = params
        self._require_forward_buffer_sync = True
        self._expect_hooks = False
        self._ready = 0
        self._last_wait = (0.0, 0.0)   # (perf_counter when the last hook began waiting, seconds waited)
        if world_size > 1:
            self._check_same_model(module)
            if init_sync:
                self._broadcast_state(module)
        self._buckets = [Bucket(members) for members in assign_buckets(params, bucket_cap_mb)]
        self._hook_handles = []
        if world_size > 1:
            self._register_hooks()

    # -- construction ---------------------------------------------------------------------
    @staticmethod
    def _check_same_model(module):
        """Every rank must wrap the same architecture; a mismatch would hang in the first all-reduce."""
        shapes = [tuple(param.shape) for param in module.parameters()]
        summary = ag.tensor(np.array([len(shapes), sum(int(np.prod(s)) for s in shapes)], dtype=np.int64))
        gathered = [ag.zeros(2, dtype=ag.int64) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, summary)
        reference = gathered[0].tolist()
        for rank, other in enumerate(gathered):
            if other.tolist() != reference:
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {rank} has {other.tolist()[0]} params "
                    f"({other.tolist()[1]} elements), while rank 0 has {reference[0]} params ({reference[1]} elements)"
                )

    @staticmethod
    def _broadcast_state(module):
        with ag.no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor, src=0)

    def _register_hooks(self):
        for bucket in self._buckets:
            for position, param in enumerate(bucket.params):
                self._hook_handles.append(param.register_hook(self._make_hook(param, bucket, position)))

    def _make_hook(self, param, bucket, position):
        def hook(grad):
            if not self._expect_hooks:
                return None   # a backward not prepared by a synchronising forward: local, as torch
            return self._on_gradient(param, bucket, position, grad)

        return hook

    # -- forward and backward ---------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        """Run the wrapped module; with grad enabled (outside `no_sync`) the next backward averages gradients."""
        if self._expect_hooks and 0 < self._ready < len(self._params):
            raise RuntimeError(_UNFINISHED_REDUCTION.format(missing=len(self._params) - self._ready,
                                                             expected=len(self._params)))
        if self._world_size > 1 and self.broadcast_buffers and self._require_forward_buffer_sync:
            with ag.no_grad():
                for buffer in self.module.buffers():
                    dist.broadcast(buffer, src=0)
        output = self.module(*inputs, **kwargs)
        synchronising = ag.is_grad_enabled() and self.require_backward_grad_sync
        self._require_forward_buffer_sync = synchronising
        if synchronising and self._world_size > 1:
            self._prepare_for_backward()
        else:
            self._expect_hooks = False   # e.g. a forward without backward, then one inside no_sync()
        return output

    def _prepare_for_backward(self):
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        self._ready = 0
        self._expect_hooks = True

    def _on_gradient(self, param, bucket, position, grad):
        slot = bucket.slot(position)
        # Hooks run before the gradient is added to .grad; what goes into the bucket is
        # what .grad will hold (the sum, after no_sync() accumulation), pre-divided by the
        # world size as torch does, so the all-reduced sum is the mean.
        if param.grad is None:
            np.divide(np.asarray(grad), self._world_size, out=slot)
        else:
            np.add(np.asarray(param.grad), np.asarray(grad), out=slot)
            np.divide(slot, self._world_size, out=slot)
        bucket.pending -= 1
        if bucket.pending == 0:
            bucket.work = dist.all_reduce(bucket.tensor, op=dist.ReduceOp.SUM, async_op=True)
        for other in self._buckets:
            if other.work is not None:
                other.work.is_completed()   # an MPI_Test: progress for the messages in flight
        self._ready += 1
        if self._ready < len(self._params):
            return None
        return self._finish_reduction(param, bucket, position)

    def _finish_reduction(self, last_param, last_bucket, last_position):
        """Wait for every bucket and put the averages into .grad; returns the last parameter's gradient."""
        self._expect_hooks = False
        started = time.perf_counter()
        for bucket in self._buckets:
            bucket.work.wait()
        self._last_wait = (started, time.perf_counter() - started)   # read by benchmarks/distributed.py
        with ag.no_grad():
            for bucket in self._buckets:
                for position, param in enumerate(bucket.params):
                    if param is last_param:
                        continue
                    param.grad.copy_(ag.from_numpy(bucket.slot(position)))
        # The last parameter's gradient is added to .grad after its hooks return: hand back
        # the average in place of the local gradient, onto an empty .grad.
        last_param.grad = None
        return ag.from_numpy(last_bucket.slot(last_position).copy())

    # -- gradient accumulation -----------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward() only accumulates local gradients; the first synchronised backward after it
        averages the accumulated sums (torch's gradient accumulation pattern)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        """The world size and the number of buckets, in the repr."""
        return f"world_size={self._world_size}, buckets={len(self._buckets)}"

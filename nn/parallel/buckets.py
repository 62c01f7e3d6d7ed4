"""Gradient buckets of DistributedDataParallel: which parameters share one all-reduce.

Torch's assignment: parameters are taken in reverse registration order (roughly
the order their gradients become ready in backward), grouped by dtype, and a
bucket is closed as soon as it holds at least its byte limit -- 1 MiB for the
first bucket of each dtype (so the first all-reduce starts early), then
``bucket_cap_mb`` MiB.  A parameter is never split between buckets.
"""
import numpy as np

import autograd_core as ag

FIRST_BUCKET_BYTES = 1024 * 1024


class Bucket:
    """One flat buffer that the gradients of `params` are copied into and all-reduced as one message."""

    def __init__(self, params):
        self.params = params
        dtype = np.dtype(params[0].dtype)
        self.offsets = []
        total = 0
        for param in params:
            self.offsets.append(total)
            total += param.numel()
        self.flat = np.zeros(total, dtype=dtype)
        self.tensor = ag.from_numpy(self.flat)   # the same memory, for the collectives
        self.pending = len(params)
        self.work = None

    def slot(self, position):
        """The part of the flat buffer that holds parameter `position`'s gradient, in its shape."""
        param = self.params[position]
        start = self.offsets[position]
        return self.flat[start:start + param.numel()].reshape(param.shape)

    @property
    def nbytes(self):
        """Size of the buffer in bytes."""
        return self.flat.nbytes


def assign_buckets(params, bucket_cap_mb):
    """Split `params` (registration order) into lists of parameters, one per bucket, in reduction order."""
    cap = int(bucket_cap_mb * 1024 * 1024)
    limits = {}       # dtype -> byte limit of the bucket being filled
    open_buckets = {}  # dtype -> (parameters, bytes so far)
    closed = []
    for param in reversed(params):
        dtype = np.dtype(param.dtype)
        members, size = open_buckets.get(dtype, ([], 0))
        members.append(param)
        size += param.numel() * dtype.itemsize
        limit = limits.setdefault(dtype, min(FIRST_BUCKET_BYTES, cap))
        if size >= limit:
            closed.append(members)
            open_buckets.pop(dtype, None)
            limits[dtype] = cap
        else:
            open_buckets[dtype] = (members, size)
    closed.extend(members for members, _ in open_buckets.values())
    return closed

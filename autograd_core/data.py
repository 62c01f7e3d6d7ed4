"""Datasets and mini-batches: `Dataset`, `TensorDataset`, `Subset`, `random_split`, `DataLoader`, samplers.

    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for xb, yb in loader:
        ...

Shuffling and splitting draw from the library's seeded generator, so
``autograd_core.manual_seed(s)`` makes them reproducible.  A `TensorDataset`
(or a `Subset` of one) is batched by indexing its tensors once per batch
instead of stacking samples one by one.

A sampler decides the order of the indices: `SequentialSampler`,
`RandomSampler`, `DistributedSampler` (each rank of a process group its own
share), or any iterable of indices with a length, passed as ``sampler=``.
"""
import math
import numbers

import numpy as np

from . import random as _random
from .creation import tensor as _tensor
from .tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate", "Sampler",
           "SequentialSampler", "RandomSampler", "DistributedSampler"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        raise TypeError("concatenating datasets with + is not supported; build one dataset from both")


class TensorDataset(Dataset):
    """Samples are ``(t[i] for t in tensors)``: rows of tensors that share their first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        for position, item in enumerate(tensors):
            if not isinstance(item, Tensor):
                raise TypeError(f"TensorDataset: argument {position} is a {type(item).__name__}, expected a Tensor")
            if item.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is 0-d; every tensor needs a first "
                                 "dimension that indexes the samples")
        sizes = [item.shape[0] for item in tensors]
        if any(size != sizes[0] for size in sizes):
            shapes = ", ".join(str(tuple(item.shape)) for item in tensors)
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions {sizes} "
                             f"(shapes {shapes}) must all be equal")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(item[index] for item in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths.

    `lengths` are sizes summing to ``len(dataset)``, or fractions summing to 1
    (as torch: each gets ``floor(n * fraction)``, and the remainder is dealt out
    one by one from the first subset).  `generator` is a numpy Generator (default:
    the library's seeded one).
    """
    lengths = list(lengths)
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {position} is {fraction}, not between 0 and 1")
        counts = [int(math.floor(total * fraction)) for fraction in lengths]
        for position in range(total - sum(counts)):
            counts[position % len(counts)] += 1
        lengths = counts
    for position, length in enumerate(lengths):
        if not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"random_split: length at index {position} is {length!r}; expected non-negative "
                             "integers summing to len(dataset), or fractions summing to 1")
    if sum(lengths) != total:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
                         f"the input dataset ({total})")
    rng = generator if generator is not None else _random.generator()
    order = rng.permutation(total).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


# -- samplers ----------------------------------------------------------------------------------
class Sampler:
    """Yields dataset indices: subclasses define ``__iter__`` (and ``__len__`` for ``len(loader)``)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random order of all indices on every pass (from the library's seeded generator,
    or `generator`, a numpy Generator)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if replacement:
            raise NotImplementedError("RandomSampler: replacement=True is not supported")
        if num_samples is not None:
            raise NotImplementedError("RandomSampler: num_samples is not supported (only replacement=False)")
        self.data_source = data_source
        self.generator = generator

    def __iter__(self):
        rng = self.generator if self.generator is not None else _random.generator()
        return iter(rng.permutation(len(self.data_source)).tolist())

    def __len__(self):
        return len(self.data_source)


class DistributedSampler(Sampler):
    """This rank's share of `dataset`: across `num_replicas` ranks every index once per epoch (torch's rules).

    Each rank takes every `num_replicas`-th index of one order that all ranks agree
    on: ``seed + epoch`` seeds it (call `set_epoch` at the start of each epoch for
    a new order), independently of ``manual_seed``.  When the dataset does not
    divide evenly, the order is padded with its own first indices so every rank
    gets ``ceil(n / num_replicas)`` samples, or with ``drop_last=True`` the tail
    is dropped and every rank gets ``floor(n / num_replicas)``.  `num_replicas` and
    `rank` default to the process group's world size and rank.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from . import distributed

            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"DistributedSampler: {name} must be an integer, got {value!r}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        count = len(dataset)
        if self.drop_last and count % self.num_replicas != 0:
            self.num_samples = math.ceil((count - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(count / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        count = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(count)
        else:
            order = np.arange(count)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > count:
            # Pad with the order's own beginning, repeated if the padding is longer than the dataset.
            order = np.resize(order, self.total_size)
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the order of `epoch` on the next pass (the same on every rank for the same epoch)."""
        self.epoch = epoch


# -- collation ------------------------------------------------------------------------------
def _collate_leaves(samples):
    """One batch from same-kind leaves: tensors and arrays are stacked, numbers become a 1-d tensor."""
    first = samples[0]
    if isinstance(first, Tensor):
        from .ops import stack

        return stack(samples)
    if isinstance(first, (np.ndarray, np.generic)):
        return _tensor(np.stack(samples))  # numpy scalars keep their dtype, as torch's as_tensor
    if isinstance(first, (bool, np.bool_)):
        return _tensor(samples)
    if isinstance(first, numbers.Integral):
        return _tensor(samples, dtype=np.int64)
    if isinstance(first, numbers.Real):
        # As torch's default_collate: Python floats batch to float64.
        return _tensor(np.asarray(samples, dtype=np.float64))
    if isinstance(first, str):
        return list(samples)
    return None


def default_collate(batch):
    """Merge a list of samples into a batch (as torch's default_collate, one container level deep).

    Tensors, arrays and numbers are stacked along a new first dimension; a sample
    that is a tuple/list or dict of those gives a list or dict of batches.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty batch")
    first = batch[0]
    leaf = _collate_leaves(batch)
    if leaf is not None:
        return leaf
    if isinstance(first, dict):
        return {key: _collate_field(key, [sample[key] for sample in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        width = len(first)
        if any(len(sample) != width for sample in batch):
            raise RuntimeError("default_collate: each sample in the batch must have the same number of fields")
        return [_collate_field(position, [sample[position] for sample in batch])
                for position in range(width)]
    raise TypeError(f"default_collate: samples of type {type(first).__name__} cannot be batched; expected "
                    "Tensors, arrays, numbers, or tuples/lists/dicts of them (or pass collate_fn=)")


def _collate_field(key, values):
    merged = _collate_leaves(values)
    if merged is None:
        raise TypeError(f"default_collate: field {key!r} of the samples is a {type(values[0]).__name__}; only one "
                        "level of tuples/lists/dicts holding Tensors, arrays or numbers is batched (pass collate_fn=)")
    return merged


# -- the loader --------------------------------------------------------------------------------
def _tensor_source(dataset):
    """(tensors, index map) when batches can be cut straight out of a TensorDataset's tensors, else None."""
    index_map = None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices, dtype=np.int64)
        index_map = indices if index_map is None else indices[index_map]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    return dataset.tensors, index_map


class DataLoader:
    """Iterate over `dataset` in mini-batches of `batch_size` samples.

    `shuffle` draws a new order each epoch from the library's seeded generator;
    `sampler` (any iterable of indices with a length, e.g. a `DistributedSampler`)
    gives the order instead, and cannot be combined with ``shuffle=True``;
    `drop_last` drops a final batch smaller than `batch_size`; `collate_fn` merges a
    list of samples into a batch (default: `default_collate`).  Loading happens in
    the calling process, so `num_workers` and `pin_memory` are accepted for torch
    scripts but change nothing.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None, *,
                 sampler=None, num_workers=0, pin_memory=False, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, got {batch_size!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers should be a non-negative integer, got {num_workers!r}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must have __getitem__ and __len__, got {type(dataset).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        if sampler is not None:
            if shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if not hasattr(sampler, "__iter__"):
                raise TypeError(f"DataLoader: sampler must be an iterable of indices, got {type(sampler).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self._custom_sampler = sampler is not None
        if sampler is None:  # the object torch scripts reach as loader.sampler
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        self.sampler = sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator

    def __len__(self):
        count = len(self.sampler) if self._custom_sampler else len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return -(-count // self.batch_size)

    def __iter__(self):
        count = len(self.dataset)
        if self._custom_sampler:
            order = np.fromiter((int(index) for index in self.sampler), dtype=np.int64)
            count = len(order)
        elif self.shuffle:
            rng = self.generator if self.generator is not None else _random.generator()
            order = rng.permutation(count)
        else:
            order = np.arange(count)
        stop = count - count % self.batch_size if self.drop_last else count
        source = _tensor_source(self.dataset) if self.collate_fn is default_collate else None
        if source is not None:
            return self._tensor_batches(order, stop, *source)
        return self._sample_batches(order, stop)

    def _tensor_batches(self, order, stop, tensors, index_map):
        """Fast path: one fancy index per tensor per batch (a copy, as stacking would give)."""
        if index_map is not None:
            order = index_map[order]
        for start in range(0, stop, self.batch_size):
            rows = _tensor(order[start:start + self.batch_size])
            yield [item[rows] for item in tensors]

    def _sample_batches(self, order, stop):
        dataset, collate = self.dataset, self.collate_fn
        for start in range(0, stop, self.batch_size):
            yield collate([dataset[int(i)] for i in order[start:start + self.batch_size]])

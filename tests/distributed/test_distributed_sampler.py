"""DistributedSampler in one process (explicit num_replicas/rank), against torch's where torch is installed,
and the process-group functions in a world of one without mpi4py."""
import sys

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.distributed as dist
import nn
from autograd_core.data import DataLoader, DistributedSampler, TensorDataset

SIZES = [1, 2, 5, 10, 11, 16, 17, 23]
REPLICAS = [1, 2, 3, 4, 7]


def shares(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("replicas", REPLICAS)
def test_every_index_once_per_epoch(n, replicas):
    for epoch in range(3):
        parts = [DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=4) for r in range(replicas)]
        for part in parts:
            part.set_epoch(epoch)
        lists = [list(part) for part in parts]
        assert all(len(part) == len(items) == -(-n // replicas) for part, items in zip(parts, lists))
        flat = [index for items in lists for index in items]
        assert set(flat) == set(range(n))
        # Padding repeats only what is needed to make the shares equal.
        assert len(flat) - n == (-n) % replicas


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("replicas", REPLICAS)
def test_drop_last_drops_the_tail(n, replicas):
    lists = shares(n, replicas, drop_last=True)
    flat = [index for items in lists for index in items]
    assert len(flat) == len(set(flat)) == (n // replicas) * replicas
    assert all(len(items) == n // replicas for items in lists)


def test_set_epoch_reshuffles_and_is_reproducible():
    first = DistributedSampler(range(100), num_replicas=2, rank=0)
    order0 = list(first)
    assert list(first) == order0                       # same epoch: same order
    first.set_epoch(1)
    order1 = list(first)
    assert order1 != order0 and sorted(order1 + list(DistributedSampler(range(100), 2, 1))) != []
    again = DistributedSampler(range(100), num_replicas=2, rank=0)
    again.set_epoch(1)
    assert list(again) == order1                       # every rank computes the same order
    assert list(DistributedSampler(range(100), num_replicas=2, rank=0, seed=1)) != order0
    ag.manual_seed(0)
    a = list(DistributedSampler(range(50), 2, 0))
    ag.manual_seed(1)
    assert list(DistributedSampler(range(50), 2, 0)) == a   # independent of the global seed


def test_no_shuffle_is_strided():
    assert shares(10, 3, shuffle=False) == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    assert shares(10, 3, shuffle=False, drop_last=True) == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert shares(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]


def test_rank_out_of_range_is_torchs_error():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)


def test_defaults_need_a_process_group():
    if dist.is_initialized():
        pytest.skip("a process group is open in this process")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("replicas", REPLICAS)
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_as_torch(n, replicas, drop_last):
    """Without shuffling the shares are torch's exactly; with it, torch's lengths and structure
    (torch's permutation comes from its own generator, which numpy does not reproduce)."""
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                               drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert (len(ours), ours.num_samples, ours.total_size) == (len(theirs), theirs.num_samples,
                                                                  theirs.total_size)
        shuffled = DistributedSampler(range(n), num_replicas=replicas, rank=rank, drop_last=drop_last)
        assert len(list(shuffled)) == len(torch_data.DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, drop_last=drop_last))


def test_dataloader_takes_the_sampler():
    X = ag.arange(10).reshape(10, 1)
    dataset = TensorDataset(X)
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    assert loader.sampler is sampler and len(loader) == 3
    assert [batch[0].reshape(-1).tolist() for batch in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(dataset, batch_size=2, sampler=sampler, shuffle=True)


def test_world_of_one_without_mpi4py(monkeypatch):
    """`python script.py` where mpi4py is not installed: a process group of one, everything a no-op."""
    if dist.is_initialized():
        pytest.skip("a process group is open in this process")
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "mpi4py", None)   # import mpi4py now raises ImportError
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    dist.init_process_group(backend="mpi")
    try:
        assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
        assert not dist.is_mpi_available()
        t = ag.tensor([1.0, 2.0])
        dist.all_reduce(t, op=dist.ReduceOp.AVG)
        dist.broadcast(t, src=0)
        dist.barrier()
        assert t.tolist() == [1.0, 2.0]
        ddp = nn.parallel.DistributedDataParallel(nn.Linear(2, 1))
        ddp(ag.ones(3, 2)).sum().backward()
        assert ddp.module.weight.grad.tolist() == [[3.0, 3.0]]
        assert list(DistributedSampler(range(3), shuffle=False)) == [0, 1, 2]
        with pytest.raises(ValueError, match="backend"):
            dist.destroy_process_group()
            dist.init_process_group(backend="nccl")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    assert not dist.is_initialized()


def test_launched_by_mpiexec_without_mpi4py_says_what_to_install(monkeypatch):
    if dist.is_initialized():
        pytest.skip("a process group is open in this process")
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    with pytest.raises(ImportError, match=r"autograd-core\[distributed\]"):
        dist.init_process_group()
    assert not dist.is_initialized()


def test_ddp_needs_a_process_group():
    if dist.is_initialized():
        pytest.skip("a process group is open in this process")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 1))


def test_import_does_not_load_mpi4py():
    import subprocess

    code = "import autograd_core, nn, autograd_core.distributed, sys; print('mpi4py' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr

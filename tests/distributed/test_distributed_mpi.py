"""autograd_core.distributed and DistributedDataParallel on 2 ranks of localhost (mpiexec in a subprocess).

One launch runs every multi-rank check (tests/distributed/mpi_worker_training.py,
start-up costs seconds); the tests below read what each rank reported.  They
skip only where mpi4py is not installed; CI installs the `distributed` extra.
"""
import json
import os
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mpi4py")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mpi_launch  # noqa: E402

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402

TOLERANCE = 1e-10   # relative, float64


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    assert mpi_launch.mpiexec(), "mpi4py is installed but no mpiexec was found (pip install mpich)"
    out = tmp_path_factory.mktemp("two_ranks")
    done = mpi_launch.run("mpi_worker_training.py", out, ranks=2, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reports = [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(2)]
    return out, reports


def test_world_and_collectives(two_ranks):
    _, reports = two_ranks
    for rank, report in enumerate(reports):
        assert (report["rank"], report["world"]) == (rank, 2)
        c = report["collectives"]
        assert c["sum"] == [3.0, 30.0]
        assert c["max"] == [2.0, 0.0] and c["min"] == [1.0, -2.0]
        assert c["product"] == [2.0, 0.0] and c["avg"] == [1.5, -1.0]
        assert c["async_int_sum"] == [3, 6]
        assert c["broadcast_from_last"] == [1.0, 1.0, 1.0]
        assert c["all_gather"] == [[0.0, 0.0], [1.0, 1.0]]


def test_collective_errors_are_clear(two_ranks):
    errors = two_ranks[1][0]["collectives"]["errors"]
    assert errors["non_contiguous"].startswith("ValueError") and "contiguous" in errors["non_contiguous"]
    assert errors["unknown_op"].startswith("TypeError") and "ReduceOp" in errors["unknown_op"]
    assert "invalid root rank: 2" in errors["bad_src"]
    assert "list of 2 tensors" in errors["gather_list"]
    assert errors["init_twice"] == "ValueError: trying to initialize the default process group twice!"


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("bn_mode", ["eval", "train"])
def test_two_ranks_match_one_process(two_ranks, optimizer, bn_mode):
    """20 steps; BatchNorm in eval: 2 ranks x B == one process on 2B.  In train mode BatchNorm
    uses per-rank statistics (no SyncBatchNorm), so the reference is one process that normalises
    each rank's half separately and averages the two losses."""
    for report in two_ranks[1]:
        summary = report["equivalence"][f"{optimizer}-{bn_mode}"]
        assert summary["initial_difference"] == 0.0   # rank 0's initialisation broadcast
        assert summary["parameters"] <= TOLERANCE
        assert summary["ranks_identical"]
        if bn_mode == "eval":
            assert summary["versus_global_batch"] <= TOLERANCE
            assert summary["buffers"] == 0.0
        else:
            # Per-rank statistics are not the global batch's: the documented difference.
            assert summary["versus_global_batch"] > 1e-3
    # Running statistics follow rank 0's rows (broadcast before each forward).
    assert two_ranks[1][0]["equivalence"][f"{optimizer}-{bn_mode}"]["buffers"] <= TOLERANCE


def test_state_dict_keys_have_module_prefix(two_ranks):
    keys = two_ranks[1][0]["equivalence"]["sgd-eval"]["state_dict_keys"]
    assert keys[0] == "module.0.weight" and "module.1.running_mean" in keys
    assert all(key.startswith("module.") for key in keys)


def test_buckets_small_equal_one_and_one_allreduce_per_bucket(two_ranks):
    for report in two_ranks[1]:
        buckets = report["buckets"]
        assert buckets["parameter_count"] == 30
        assert buckets["one"]["buckets"] == 1 and buckets["one"]["allreduce_calls"] == [1] * 5
        small = buckets["small"]
        assert small["buckets"] > 2
        assert small["allreduce_calls"] == [small["buckets"]] * 5
        assert sum(small["params_per_bucket"]) == 30
        assert buckets["identical"]


def test_no_sync_accumulates_then_averages(two_ranks):
    for report in two_ranks[1]:
        assert report["no_sync"]["averaged"] <= TOLERANCE
        assert report["no_sync"]["stayed_local"] == 0.0


def test_unused_parameter_raises_torchs_error(two_ranks):
    for report in two_ranks[1]:
        assert report["unused_parameter_error"].startswith("Expected to have finished reduction")


def test_checkpoint_from_rank_0_loads_in_one_process(two_ranks):
    out, _ = two_ranks
    files = sorted(os.listdir(out))
    assert files.count("checkpoint.safetensors") == 1
    state = ag.load(str(out / "checkpoint.safetensors"))
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3)).double()
    model.load_state_dict(state)
    expected = np.load(out / "expected.npz")
    for position, value in enumerate(model.state_dict().values()):
        np.testing.assert_array_equal(np.asarray(value), expected[f"arr_{position}"])


def test_without_mpiexec_is_a_world_of_one(tmp_path):
    """The same worker as a plain `python script.py`: size 1, every check still holds."""
    done = mpi_launch.run("mpi_worker_training.py", tmp_path, ranks=None, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "rank0.json").read_text())
    assert report["world"] == 1
    for summary in report["equivalence"].values():
        assert summary["parameters"] == 0.0
    assert report["buckets"]["identical"]


def test_a_rank_that_raises_ends_the_job():
    started = time.perf_counter()
    done = mpi_launch.run("mpi_worker_raise.py", ranks=2, timeout=60)
    elapsed = time.perf_counter() - started
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr, done.stderr[-3000:]
    assert "survived" not in done.stdout
    assert elapsed < 30, f"mpiexec took {elapsed:.1f} s to end the job"

"""The kernels' threads (autograd_core.set_num_threads / get_num_threads, kernels/parallel.py) and
the numpy paths taken until Numba is loaded (kernels/numpy_paths.py, kernels/__init__.py)."""
import multiprocessing
import os
import subprocess
import sys
import time
import types

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import kernels
from autograd_core.kernels import (activations, cross_entropy, jit, numpy_paths, parallel, reductions,
                                   reference, reference_loss, reference_updates, rows, updates)

THREAD_COUNTS = (1, 2, 3, 4)


@pytest.fixture(autouse=True)
def _restore_threads(monkeypatch):
    # These tests count threads and chunks: a BLAS thread still spinning after an earlier test's
    # matmul must not make a call serial here (the watch itself is tested below).
    monkeypatch.setattr(parallel, "WATCH_OTHER_THREADS", False)
    saved = parallel._num_threads
    jit.load()
    yield
    parallel._num_threads = saved


@pytest.fixture
def small_grains(monkeypatch):
    """Grains small enough that every kernel family splits the test arrays (the real ones keep
    memory-bound loops serial while their arrays fit in the last-level cache)."""
    monkeypatch.setattr(activations, "_CHEAP", 4096)
    monkeypatch.setattr(activations, "_COSTLY", 4096)
    monkeypatch.setattr(parallel, "LAST_LEVEL_CACHE_BYTES", 0)  # memory-bound loops split at any size
    monkeypatch.setattr(rows, "ROW_GRAIN", 4096)
    monkeypatch.setattr(reductions, "GRAIN", 4096)
    monkeypatch.setattr(reductions, "SPLIT_GRAIN", 4096)


def _chunk_counts(monkeypatch):
    """Record how many chunks each parallel.run_chunks or parallel.run_split call gets."""
    seen = []
    run_chunks, run_split = parallel.run_chunks, parallel.run_split

    def spy_chunks(kernel, arguments):
        seen.append(len(arguments))
        return run_chunks(kernel, arguments)

    def spy_split(kernel, out, operands, params, bounds):
        seen.append(len(bounds) - 1)
        return run_split(kernel, out, operands, params, bounds)

    monkeypatch.setattr(parallel, "run_chunks", spy_chunks)
    monkeypatch.setattr(parallel, "run_split", spy_split)
    return seen


# -- the setting -------------------------------------------------------------------------
def test_default_is_the_cores_this_process_may_use():
    parallel._num_threads = None
    assert ag.get_num_threads() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("n", [1, 2, 3, 7, np.int64(2)])
def test_set_then_get_round_trips(n):
    ag.set_num_threads(n)
    assert ag.get_num_threads() == int(n) and type(ag.get_num_threads()) is int


@pytest.mark.parametrize("n, message", [
    (0, "set_num_threads expects a positive integer"), (-1, "set_num_threads expects a positive integer"),
    (2.5, "set_num_threads expects an int, but got float"), ("2", "set_num_threads expects an int, but got str"),
    (True, "set_num_threads expects an int, but got bool"), (None, "set_num_threads expects an int, but got NoneType"),
])
def test_bad_thread_counts_raise_as_torch(n, message):
    ag.set_num_threads(3)
    with pytest.raises(RuntimeError, match=message):
        ag.set_num_threads(n)
    assert ag.get_num_threads() == 3  # unchanged


def test_one_thread_runs_serially_and_two_split_large_arrays(monkeypatch, small_grains):
    seen = _chunk_counts(monkeypatch)
    x = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    ag.set_num_threads(1)
    kernels.gelu_forward(x)
    kernels.relu_forward(x)
    kernels.sum_forward(x)
    assert seen == []
    ag.set_num_threads(2)
    kernels.gelu_forward(x)
    kernels.relu_forward(x)
    kernels.sum_forward(x)
    assert len(seen) == 3 and all(count > 1 for count in seen)
    seen.clear()
    kernels.gelu_forward(x[:1000])  # below the threshold: serial
    assert seen == []


def test_memory_bound_loops_split_only_beyond_half_the_last_level_cache(monkeypatch):
    seen = _chunk_counts(monkeypatch)
    ag.set_num_threads(2)
    x = np.random.default_rng(0).standard_normal(1 << 18).astype(np.float32)  # 1 MiB
    g, y = x.copy(), np.maximum(x, 0)
    monkeypatch.setattr(parallel, "LAST_LEVEL_CACHE_BYTES", 6 << 20)  # relu backward moves 3 MiB: half
    kernels.relu_backward(g, y)
    kernels.relu_forward(x)  # 2 MiB
    assert seen == []
    monkeypatch.setattr(parallel, "LAST_LEVEL_CACHE_BYTES", (6 << 20) - 1)
    kernels.relu_backward(g, y)
    kernels.relu_forward(x)
    assert seen == [2]  # one contiguous chunk per thread (parallel.MEMORY_BOUND_CHUNKS_PER_THREAD)
    seen.clear()
    kernels.relu_backward(np.broadcast_to(np.float32(1), x.shape), y)  # g a number: 2 MiB moved
    assert seen == []
    kernels.gelu_forward(x)  # not memory-bound: split whatever the cache
    assert len(seen) == 1


def test_the_last_level_cache_size_is_read_from_sysfs():
    size = parallel._largest_cache_bytes()
    if os.path.isdir("/sys/devices/system/cpu/cpu0/cache/index0"):
        assert size >= 1 << 15  # at least an L1 cache's 32 KiB
    assert parallel.LAST_LEVEL_CACHE_BYTES == (size or 32 << 20)


def _thread_stamping_kernel():
    """A Numba kernel ``stamp(out, x)`` that writes the running thread's pthread id into each
    element of its chunk (to see which threads run a run_split call's chunks)."""
    from llvmlite import ir
    from numba import njit, types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def pthread_self(typingctx):
        def codegen(context, builder, signature, args):
            function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                                      "pthread_self")
            return builder.call(function, [])
        return types.int64(), codegen

    @njit(nogil=True)
    def stamp(out, x):
        me = pthread_self()
        for i in range(out.size):
            out[i] = me

    return stamp


def test_at_most_get_num_threads_threads_work_on_a_call():
    import threading
    stamp = _thread_stamping_kernel()
    names = set()

    def spy(index):
        names.add(threading.current_thread().name)
        time.sleep(0.001)  # long enough for a woken pool thread to take a chunk too

    out = np.zeros(1 << 12, np.int64)
    ag.set_num_threads(4)
    parallel.run_split(stamp, out, (out,), (), parallel.split(out.size, 16, 64))  # 3 pool threads
    for n in (1, 2, 3):
        ag.set_num_threads(n)
        for _ in range(5):
            names.clear()
            parallel.run_chunks(spy, [(i,) for i in range(4 * n)])
            assert 1 <= len(names) <= n and threading.current_thread().name in names
            out[:] = 0
            parallel.run_split(stamp, out, (out,), (), parallel.split(out.size, 4 * n, 64))
            stamps = set(np.unique(out).tolist())
            assert 0 not in stamps and 1 <= len(stamps) <= n


@pytest.mark.parametrize("others_busy, expected", [(0.0, 4), (1.0, 3), (2.6, 1), (7.0, 1)])
def test_by_default_cores_that_other_processes_keep_busy_are_left_to_them(others_busy, expected, monkeypatch):
    """No set_num_threads call: the threads are the cores less what other processes used over the
    last second (from /proc/stat, less this process's own CPU time)."""
    monkeypatch.setattr(parallel, "_available_threads_cached", lambda: 4)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    samples = iter([(0.0, 0, 0, 0.0), (2.0, 800, int(800 * (1 - (others_busy + 0.5) / 4)), 1.0)])
    monkeypatch.setattr(parallel, "_cpu_sample", lambda: next(samples))
    monkeypatch.setattr(parallel, "_sample", None)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    parallel._num_threads = None
    assert parallel.threads_for_a_call() == 4  # first call: load average 1.0, this process's own
    monkeypatch.setattr(parallel, "_sample", (-5.0,) + parallel._sample[1:])  # a second later
    assert parallel.threads_for_a_call() == expected  # this process used 0.5 core of the busy ones
    ag.set_num_threads(3)
    assert parallel.threads_for_a_call() == 3  # a setting the user made is used as made
    assert ag.get_num_threads() == 3


@pytest.mark.parametrize("other_threads_cpu, expected", [(0.0, 4), (0.4, 4), (1.0, 3), (2.2, 2), (9.0, 1)])
def test_cores_that_other_threads_of_the_process_keep_busy_are_left_to_them(other_threads_cpu, expected,
                                                                             monkeypatch):
    """A thread count set by the user, less the cores' worth of CPU time that threads other than the
    caller and the pool (BLAS spinning after a matmul) used since the caller's previous call."""
    monkeypatch.setattr(parallel, "WATCH_OTHER_THREADS", True)
    monkeypatch.setattr(parallel, "_available_threads_cached", lambda: 4)
    clocks = {"wall": 10.0, "process": 5.0, "thread": 2.0, "pool": 1.0}
    monkeypatch.setattr(time, "monotonic", lambda: clocks["wall"])
    monkeypatch.setattr(time, "process_time", lambda: clocks["process"])
    monkeypatch.setattr(time, "thread_time", lambda: clocks["thread"])
    monkeypatch.setattr(parallel, "_pool_cpu_seconds", lambda: clocks["pool"])
    monkeypatch.setattr(parallel, "_caller", parallel._CallerSample())
    ag.set_num_threads(4)
    assert parallel.threads_for_a_call() == 4  # the calling thread's first call: nothing to compare
    # One second later: the caller used 0.5 s, the pool 0.3 s, other threads `other_threads_cpu`.
    clocks["wall"] += 1.0
    clocks["thread"] += 0.5
    clocks["pool"] += 0.3
    clocks["process"] += 0.5 + 0.3 + other_threads_cpu
    assert parallel.threads_for_a_call() == expected
    ag.set_num_threads(1)
    assert parallel.threads_for_a_call() == 1  # serial stays serial, and takes no samples
    monkeypatch.setattr(parallel, "WATCH_OTHER_THREADS", False)
    ag.set_num_threads(4)
    assert parallel.threads_for_a_call() == 4


def test_a_parallel_call_decides_its_thread_count_once(monkeypatch, small_grains):
    """chunk_count's decision is the one run_chunks uses: the clocks are not sampled again a few µs
    later (a spinning BLAS thread could then make the call's chunks run on one thread only)."""
    decisions = []
    original = parallel.threads_for_a_call

    def counted():
        decisions.append(original())
        return decisions[-1]

    monkeypatch.setattr(parallel, "threads_for_a_call", counted)
    ag.set_num_threads(2)
    x = np.ones(1 << 16, np.float32)
    np.testing.assert_allclose(kernels.gelu_forward(x), reference.gelu_forward(x), rtol=1e-6)
    assert decisions == [2]
    # Chunks cut without chunk_count still get a decision of their own.
    assert parallel.run_chunks(lambda a, b: a + b, [(1, 2), (3, 4), (5, 6)]) == [3, 7, 11]
    assert decisions == [2, 2]


def test_the_pool_counts_the_cpu_time_of_its_threads(small_grains):
    """The watch tells the pool's threads (polling included) apart from other threads by their
    own CPU clocks."""
    ag.set_num_threads(2)
    x = np.ones(1 << 20, np.float32)
    kernels.gelu_forward(x)
    before = parallel._pool_cpu_seconds()
    for _ in range(20):
        kernels.gelu_forward(x)
    assert parallel._pool_cpu_seconds() > before
    # Polling threads are the pool's: right after parallel calls the watch leaves every core.
    monkeypatch_free = parallel.WATCH_OTHER_THREADS
    parallel.WATCH_OTHER_THREADS = True
    try:
        parallel._cores_held_by_other_threads()
        kernels.gelu_forward(x)
        assert parallel._cores_held_by_other_threads() == 0
    finally:
        parallel.WATCH_OTHER_THREADS = monkeypatch_free


def test_a_task_submitted_to_a_sleeping_pool_always_runs():
    """pool.submit publishes before it counts the sleeping threads, and a thread about to sleep
    checks for a publication after counting itself: no submission is lost (it was, once, in the
    wake benchmark, which then waited for ever)."""
    import threading
    ag.set_num_threads(2)
    pool = parallel._executor(1)
    for _ in range(100):
        time.sleep(0.0002 + 0.00002 * (_ % 10))  # around the end of the pool thread's poll
        ran = threading.Event()
        pool.submit(ran.set)
        assert ran.wait(timeout=5)
    pool.task = None


def test_drivers_name_kernels_by_name_and_code():
    """The drivers are cached on disk per kernel: the kernel type must be the same in every
    process (its qualified name) and differ for an edited kernel (a digest of its bytecode)."""
    from numba import njit
    from autograd_core.kernels import claiming

    def make(offset):
        @njit(nogil=True)
        def shift(out, x):
            for i in range(out.size):
                out[i] = x[i] + offset
        return shift

    handle = claiming.Kernel.of(activations._sigmoid_forward)
    assert handle is claiming.Kernel.of(activations._sigmoid_forward)
    assert handle.name.startswith("autograd_core.kernels.activations._sigmoid_forward:")
    assert claiming.Kernel.of(make(1.0)).name == claiming.Kernel.of(make(1.0)).name  # same code
    edited = compile("def shift(out, x):\n    for i in range(out.size):\n        out[i] = x[i] * 2\n", "<test>", "exec")
    namespace = {"__name__": __name__}
    exec(edited, namespace)
    original = make(1.0)
    namespace["shift"].__qualname__ = original.py_func.__qualname__
    same_place, edited_name = claiming.Kernel.of(original).name, claiming.Kernel.of(njit(namespace["shift"])).name
    assert same_place.split(":")[0] == edited_name.split(":")[0] and same_place != edited_name


def test_the_driver_is_called_through_its_compiled_entry_point_per_argument_types(small_grains):
    from autograd_core.kernels import claiming

    ag.set_num_threads(2)
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):  # two signatures: two entries, each given its own types
        x = rng.standard_normal(20_000).astype(dtype)
        g = rng.standard_normal(20_000).astype(dtype)
        serial = reference.elu_backward(g, x, 0.5)
        for _ in range(3):  # the first call compiles or loads; the others take the entry point
            np.testing.assert_allclose(activations.elu_backward(g, x, 0.5), serial, rtol=4e-6 if dtype == np.float32 else 1e-14)
        np.testing.assert_allclose(activations.elu_backward(np.broadcast_to(dtype(2), x.shape), x, 0.5),
                                   reference.elu_backward(np.full_like(x, 2), x, 0.5), rtol=4e-6 if dtype == np.float32 else 1e-14)
        kernel = claiming.Kernel.of(activations._elu_backward)
        out = np.empty_like(x)
        driver = claiming.driver_for(kernel, out, (g, x), (0.5,))
        assert driver is not claiming.drive and not isinstance(driver, types.MethodType)  # the entry point
        other = claiming.driver_for(kernel, out, (g, x), (np.float32(0.5),))  # another parameter type
        assert other is not driver
    readonly = x.copy()
    readonly.flags.writeable = False  # Numba types a read-only array apart
    assert claiming._fingerprint(readonly) != claiming._fingerprint(x)
    assert claiming._fingerprint(x[::2]) != claiming._fingerprint(x)
    assert claiming.driver_for(kernel, out, (g, x), (1 << 70,)) is claiming.drive  # no key: the dispatcher


def test_the_driver_calls_the_kernel_instead_of_inlining_it():
    """Inlined into the claiming loop, a vectorized kernel lost its constants to per-iteration
    reloads (20-30% slower); the driver must call the kernel's own compiled function.  Checked
    on a driver compiled here (the cached one has no assembly to read)."""
    from numba import njit
    from autograd_core.kernels import claiming

    @njit(nogil=True)
    def scaled(out, x, c):
        for i in range(out.size):
            out[i] = x[i] * c

    fresh_drive = njit(nogil=True)(claiming.drive.py_func)
    x = np.arange(1000, dtype=np.float32)
    out = np.empty_like(x)
    fresh_drive(claiming.Kernel.of(scaled), claiming.new_counters(0), claiming.as_bounds(parallel.split(x.size, 3, 64)),
                out, (x,), (np.float32(2),), claiming.new_state(), 1)
    np.testing.assert_array_equal(out, x * 2)  # every chunk ran
    kernel_symbol = scaled.overloads[scaled.signatures[0]].fndesc.mangled_name
    (signature,) = fresh_drive.signatures
    assembly = fresh_drive.inspect_asm(signature)
    # After LLVM's optimization an instruction still refers to the kernel: the call (or the load
    # of its address for one), not a copy of its body.
    uses = [line for line in assembly.splitlines()
            if kernel_symbol in line and not line.startswith(kernel_symbol) and not line.lstrip().startswith(".")]
    assert uses, "the driver has no call to the kernel: it was inlined"

    @njit(nogil=True)
    def failing(out, x):  # as a kernel does under NUMBA_BOUNDSCHECK=1 when an index is out of range
        if x[0] >= 0:
            raise IndexError("chunk failed")

    with pytest.raises(IndexError, match="chunk failed"):  # the call's error status is not dropped
        fresh_drive(claiming.Kernel.of(failing), claiming.new_counters(0), claiming.as_bounds(parallel.split(x.size, 3, 64)),
                    out, (x,), (), claiming.new_state(), 1)


def test_split_covers_the_range_with_aligned_bounds():
    for n in (0, 1, 63, 64, 1000, 1 << 20, (1 << 20) + 7):
        for parts in (1, 2, 3, 4):
            bounds = parallel.split(n, parts, 64)
            assert bounds[0] == 0 and bounds[-1] == n and bounds == sorted(bounds)
            assert all(b % 64 == 0 for b in bounds[1:-1])


def test_no_thread_runs_after_a_parallel_kernel_returns():
    """The pool's threads block (no spinning, unlike OpenMP's default wait policy), so the next
    matrix product gets every core: the process burns almost no CPU time while it sleeps."""
    ag.set_num_threads(2)
    x = np.ones(1 << 20, np.float32)
    burnt = []
    for _ in range(5):
        kernels.gelu_backward(x, x)
        before = time.process_time()
        time.sleep(0.05)
        burnt.append(time.process_time() - before)
    assert min(burnt) < 0.01, burnt  # a spinning worker would burn ~0.05 s


def test_the_pool_keeps_no_reference_to_a_finished_calls_arrays():
    """An idle pool thread must not hold the last call's work: it would keep a backward's saved
    intermediates alive (tests/test_memory.py found a gelu input surviving its backward)."""
    import gc
    import weakref
    ag.set_num_threads(2)
    x = np.ones(1 << 20, np.float32)
    kernels.gelu_backward(x, x)  # the pool's threads now exist
    refs = []
    for _ in range(5):
        g = np.ones(1 << 20, np.float32)
        kernels.gelu_backward(g, x)
        refs.append(weakref.ref(g))
        del g
    time.sleep(0.05)  # every helper has finished and is waiting for work
    gc.collect()
    assert [ref for ref in refs if ref() is not None] == []


# -- same bits on any number of threads ---------------------------------------------------
ELEMENTWISE = [
    ("relu", lambda x, g, y: (kernels.relu_forward(x), kernels.relu_backward(g, y))),
    ("leaky_relu", lambda x, g, y: (kernels.leaky_relu_forward(x, 0.01), kernels.leaky_relu_backward(g, x, 0.01))),
    ("elu", lambda x, g, y: (kernels.elu_forward(x, 1.0), kernels.elu_backward(g, x, 1.0))),
    ("sigmoid", lambda x, g, y: (kernels.sigmoid_forward(x), kernels.sigmoid_backward(g, y))),
    ("tanh", lambda x, g, y: (activations.tanh_forward(x), kernels.tanh_backward(g, y))),
    ("gelu", lambda x, g, y: (kernels.gelu_forward(x), kernels.gelu_backward(g, x))),
    ("gelu_tanh", lambda x, g, y: (kernels.gelu_forward(x, "tanh"), kernels.gelu_backward(g, x, "tanh"))),
    ("softplus", lambda x, g, y: (kernels.softplus_forward(x, 1.0, 20.0), kernels.softplus_backward(g, x, 1.0, 20.0))),
    ("erf", lambda x, g, y: (kernels.erf(x),)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, run", ELEMENTWISE, ids=[name for name, _ in ELEMENTWISE])
def test_elementwise_kernels_give_the_same_bits_on_any_number_of_threads(name, run, dtype, small_grains):
    rng = np.random.default_rng(1)
    size = 7 * 30001  # above both grains, not a multiple of the chunk alignment, 7 columns when reshaped
    x = (rng.standard_normal(size) * 4).astype(dtype)
    x[:4] = [np.nan, np.inf, -np.inf, -0.0]
    g = rng.standard_normal(size).astype(dtype)
    y = np.abs(x)
    scalar_g = np.broadcast_to(dtype(0.5), x.shape)  # the gradient of sum(): one number
    results = {}
    for n in THREAD_COUNTS:
        ag.set_num_threads(n)
        results[n] = run(x, g, y) + run(x, scalar_g, y)[1:] + run(x.reshape(-1, 7).T, g.reshape(-1, 7).T,
                                                                   y.reshape(-1, 7).T)
    for n in THREAD_COUNTS[1:]:
        for serial, threaded in zip(results[1], results[n]):
            np.testing.assert_array_equal(np.ascontiguousarray(threaded).view(np.uint8),
                                          np.ascontiguousarray(serial).view(np.uint8), err_msg=f"{name}, {n} threads")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3001, 100), (40, 5000), (70000, 3)])
def test_row_kernels_give_the_same_bits_on_any_number_of_threads(shape, dtype, small_grains):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    targets = rng.integers(0, shape[1], shape[0])
    targets[::7] = -100
    g = rng.standard_normal(shape[0]).astype(dtype)
    results = {}
    for n in THREAD_COUNTS:
        ag.set_num_threads(n)
        loss, probs = cross_entropy.cross_entropy_forward(x, targets)
        results[n] = (rows.softmax_forward(x, 1), rows.log_softmax_forward(x, -1), rows.logsumexp_forward(x, (1,), False),
                      loss, probs, cross_entropy.cross_entropy_backward(g, probs, targets),
                      cross_entropy.cross_entropy_backward(dtype(0.25), probs, targets))
    for n in THREAD_COUNTS[1:]:
        for serial, threaded in zip(results[1], results[n]):
            np.testing.assert_array_equal(threaded, serial)
    loss_twin, _ = reference_loss.cross_entropy_forward(x, targets)
    np.testing.assert_allclose(results[2][3], loss_twin, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_a_bad_target_in_a_later_chunk_names_that_target(small_grains):
    ag.set_num_threads(2)
    x = np.zeros((60000, 4), np.float32)
    targets = np.zeros(60000, np.int64)
    targets[50000] = 9
    with pytest.raises(IndexError, match="target 9 is out of bounds for 4 classes"):
        cross_entropy.cross_entropy_forward(x, targets)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axes", [
    ((1 << 20,), None), (((1 << 20) + 13,), 0), ((1100, 1000), None), ((1100, 1000), 0), ((1100, 1000), 1),
    ((128, 8200), 0), ((3, 400000), 1), ((6, 500, 400), 1), ((2, 600, 1000), (1, 2)),
])
def test_sums_give_the_same_bits_on_any_number_of_threads(shape, axes, dtype, small_grains):
    """Fixed pieces (reductions.PIECE) whose size does not depend on the thread count: the same
    result on 1..4 threads, within float64 rounding of the exact sum."""
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype) + 1
    results = {}
    for n in THREAD_COUNTS:
        ag.set_num_threads(n)
        results[n] = (reductions.sum_forward(x, axes), reductions.mean_forward(x, axes, True))
    for n in THREAD_COUNTS[1:]:
        for serial, threaded in zip(results[1], results[n]):
            np.testing.assert_array_equal(threaded, serial)
    exact = np.sum(x.astype(np.float64), axis=axes)
    np.testing.assert_allclose(results[2][0], exact, rtol=1e-7 if dtype == np.float32 else 1e-13)


def test_an_error_in_a_pool_chunk_reaches_the_caller():
    def kernel(value):
        if value:
            raise ValueError("chunk failed")
        return value

    with pytest.raises(ValueError, match="chunk failed"):
        parallel.run_chunks(kernel, [(0,), (1,)])
    assert parallel.run_chunks(kernel, [(0,), (0,), (0,)]) == [0, 0, 0]


# -- fork ----------------------------------------------------------------------------------
def _parallel_gelu_sum():
    ag.set_num_threads(2)
    x = np.linspace(-3, 3, 1 << 20, dtype=np.float32)
    return float(kernels.gelu_forward(x).sum(dtype=np.float64)) + float(kernels.sum_forward(x))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_parallel_kernels():
    expected = _parallel_gelu_sum()  # the parent's pool now has a thread
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a fresh pool, the same result
        try:
            ok = _parallel_gelu_sum() == expected and parallel._pool is not None
            os.write(write, b"ok" if ok else b"wrong")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer = os.read(read, 16)
    os.close(read)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and answer == b"ok"


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method")
def test_multiprocessing_fork_workers_run_parallel_kernels():
    expected = _parallel_gelu_sum()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.starmap(_parallel_gelu_sum, [()] * 4, chunksize=1) == [expected] * 4


# -- numpy paths until Numba is loaded ------------------------------------------------------
def test_a_small_training_run_never_loads_numba():
    """W6's kind of program (an MLP step at batch 128, SGD with momentum) stays in numpy paths:
    Numba would add ~140 MiB of RSS.  One array of LOAD_NUMBA_AT elements loads it."""
    script = (
        "import sys\n"
        "import autograd_core as ag, nn, optim\n"
        "model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))\n"
        "opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)\n"
        "x, y = ag.randn(128, 784), ag.randint(0, 10, (128,))\n"
        "for _ in range(3):\n"
        "    opt.zero_grad(); loss = nn.CrossEntropyLoss()(model(x), y); loss.backward(); opt.step()\n"
        "print('small', 'numba' in sys.modules)\n"
        "ag.relu(ag.randn(1 << 17, requires_grad=True)).sum().backward()\n"
        "print('large', 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True).stdout
    assert "small False" in out and "large True" in out, out


def _numpy_only(monkeypatch):
    monkeypatch.setattr(kernels, "_numba_loaded", lambda: False)
    monkeypatch.setattr(updates, "is_loaded", lambda: False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_relu_backward_is_the_twin_bit_for_bit(dtype):
    rng = np.random.default_rng(4)
    g = rng.standard_normal(5000).astype(dtype)
    y = np.maximum(rng.standard_normal(5000), 0).astype(dtype)
    g[:6] = [np.inf, np.nan, -np.inf, 1, 2, -0.0]
    y[:6] = [0, 0, -0.0, np.nan, 3, 1]
    for gg, yy in ((g, y), (g.reshape(50, 100).T, y.reshape(50, 100).T), (np.broadcast_to(dtype(3), y.shape), y)):
        expected = reference.relu_backward(gg, yy)
        got = numpy_paths.relu_backward(gg, yy)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8), np.ascontiguousarray(expected).view(np.uint8))
        np.testing.assert_array_equal(got, activations.relu_backward(gg, yy))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 10), (128, 10), (7, 1), (50, 300)])
def test_numpy_cross_entropy_matches_the_kernel(shape, dtype):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    targets = rng.integers(0, shape[1], shape[0])
    targets[::3] = -100
    tolerance = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    loss, probs = numpy_paths.cross_entropy_forward(x, targets)
    kernel_loss, kernel_probs = cross_entropy.cross_entropy_forward(x, targets)
    assert loss.dtype == probs.dtype == np.dtype(dtype)
    np.testing.assert_allclose(loss, kernel_loss, **tolerance)
    np.testing.assert_allclose(probs, kernel_probs, **tolerance)
    g = rng.standard_normal(shape[0]).astype(dtype)
    for gg in (g, dtype(0.5)):
        np.testing.assert_allclose(numpy_paths.cross_entropy_backward(gg, probs, targets),
                                   cross_entropy.cross_entropy_backward(gg, probs, targets), **tolerance)
    bad = targets.copy()
    bad[-1] = shape[1]
    with pytest.raises(IndexError, match=f"target {shape[1]} is out of bounds for {shape[1]} classes"):
        numpy_paths.cross_entropy_forward(x, bad)


def test_dispatch_takes_numpy_paths_until_numba_is_loaded(monkeypatch):
    _numpy_only(monkeypatch)
    calls = []
    for module, name in ((activations, "relu_forward"), (activations, "relu_backward"), (rows, "softmax_forward"),
                         (rows, "log_softmax_forward"), (rows, "logsumexp_forward"),
                         (cross_entropy, "cross_entropy_forward"), (cross_entropy, "cross_entropy_backward"),
                         (reductions, "sum_forward"), (reductions, "mean_forward")):
        monkeypatch.setattr(module, name, lambda *a, _name=name, **k: calls.append(_name))
    x = np.random.default_rng(6).standard_normal((128, 512)).astype(np.float32)
    targets = np.zeros(128, np.int64)
    np.testing.assert_array_equal(kernels.relu_forward(x), reference.relu_forward(x))
    np.testing.assert_array_equal(kernels.relu_backward(x, x), reference.relu_backward(x, x))
    np.testing.assert_allclose(kernels.softmax_forward(x, 1), reference.softmax_forward(x, 1), rtol=1e-6)
    np.testing.assert_allclose(kernels.log_softmax_forward(x, 0), reference.log_softmax_forward(x, 0), rtol=1e-6)
    np.testing.assert_allclose(kernels.logsumexp_forward(x, None, False), reference.logsumexp_forward(x, (0, 1), False))
    np.testing.assert_allclose(kernels.logsumexp_forward(x, (-1,), True), reference.logsumexp_forward(x, (1,), True))
    loss, probs = kernels.cross_entropy_forward(x[:, :10], targets)
    kernels.cross_entropy_backward(loss, probs, targets)
    np.testing.assert_allclose(kernels.sum_forward(x, 0), np.sum(x, 0), rtol=1e-6)
    np.testing.assert_allclose(kernels.mean_forward(x), np.mean(x), rtol=1e-6)
    assert calls == []
    big = np.ones(kernels.LOAD_NUMBA_AT, np.float32)  # one array this large loads Numba
    kernels.relu_forward(big)
    kernels.sum_forward(big)
    assert calls == ["relu_forward", "sum_forward"]


@pytest.mark.parametrize("name, make", [
    ("axpy_", lambda y, a, b: (y, a, 0.3)), ("scale_add_", lambda y, a, b: (y, 0.9, a, 0.1)),
    ("addcmul_", lambda y, a, b: (y, a, b, 0.5)), ("addcdiv_", lambda y, a, b: (y, a, np.abs(b) + 1, 0.5)),
    ("lerp_", lambda y, a, b: (y, a, 0.25)), ("lerp_", lambda y, a, b: (y, a, 0.75)),
    ("add_scaled", lambda y, a, b: (y, a, 0.3)), ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.01, 0.9, 0.0, False)),
    ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.01, 0.9, 0.0, True)),
    ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.01, 0.9, 0.1, False)),
    ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.01, 0.9, 0.1, True)),
])
def test_update_numpy_paths_give_the_kernels_bits(name, make, monkeypatch):
    rng = np.random.default_rng(7)
    operands = [rng.standard_normal((300, 70)).astype(np.float32) for _ in range(3)]
    by_kernel = [o.copy() for o in operands]
    kernel_result = getattr(updates, name)(*make(*by_kernel))
    _numpy_only(monkeypatch)
    by_numpy = [o.copy() for o in operands]
    numpy_result = getattr(updates, name)(*make(*by_numpy))
    by_twin = [o.copy() for o in operands]
    twin_result = getattr(reference_updates, name)(*make(*by_twin))
    for kernel_array, numpy_array, twin_array in zip(by_kernel, by_numpy, by_twin):
        np.testing.assert_array_equal(numpy_array, twin_array)
        np.testing.assert_array_equal(numpy_array, kernel_array)
    if kernel_result is not None:
        np.testing.assert_array_equal(numpy_result, kernel_result)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("name, make", [
    ("axpy_", lambda y, a, b: (y, a, -0.3)), ("scale_add_", lambda y, a, b: (y, 0.9, a, 0.1)),
    ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.01, 0.9, 0.0, False)),
    ("sgd_momentum_", lambda y, a, b: (y, a, b, 0.03, 0.5, 0.2, True)),
    ("addcmul_", lambda y, a, b: (y, a, b, -0.7)), ("addcdiv_", lambda y, a, b: (y, a, np.abs(b) + 1, 0.5)),
    ("lerp_", lambda y, a, b: (y, a, 0.1)), ("lerp_", lambda y, a, b: (y, a, 0.9)),
])
def test_scratch_buffer_update_paths_give_the_twins_bits(name, make, dtype, order):
    """numpy_paths' updates (one reused scratch buffer instead of a temporary per term) against the
    twins, in both dtypes and memory orders, twice in a row (the buffer is reused) and at a second,
    larger size (the buffer grows)."""
    rng = np.random.default_rng(8)
    for shape in ((300, 70), (300, 70), (500, 90)):
        operands = [np.asarray(rng.standard_normal(shape), dtype=dtype, order=order) for _ in range(3)]
        ours, twins = [o.copy(order="K") for o in operands], [o.copy(order="K") for o in operands]
        getattr(numpy_paths, name)(*make(*ours))
        getattr(reference_updates, name)(*make(*twins))
        for mine, twin in zip(ours, twins):
            np.testing.assert_array_equal(mine, twin)

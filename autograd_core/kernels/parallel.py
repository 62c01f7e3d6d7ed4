"""How many threads the kernels use, and the small pool of threads that runs their chunks.

A kernel above its size threshold is cut into chunks (elements, rows, columns or pieces of a
sum; at most CHUNKS_PER_THREAD per thread, none below the kernel's grain) that the calling
thread and up to `threads_for_a_call() - 1` pool threads claim in turn from a shared counter.
The kernels are ``@njit(nogil=True)``: each chunk runs without the GIL.  Elementwise and
row-wise kernels (`run_split`) claim their chunks in native code, so no GIL changes hands
between chunks; the others (`run_chunks`: reductions, convolution, pooling, a loss whose chunks
report bad targets) claim them in Python.

Why not Numba's ``prange``: its OpenMP workers spin after each parallel region and steal the
core OpenBLAS needs for the next matrix product (a prange relu over 2**20 float32 followed by a
512x512 matmul took 7.6 ms per pair against 1.3 ms serial on 2 cores), the fix
(``OMP_WAIT_POLICY=PASSIVE``) works only if set before the first launch and would override a
user's setting, and the omp layer kills a forked child that runs a kernel.  A pool thread here
polls for the next call for at most SPIN_S (200 us) after a call and then sleeps on a condition
variable (a futex: no CPU time), so nothing is left running once a training step moves on to
its matrix products, and nothing here reads or sets an environment variable or touches another
library's threads.

Fork: a child inherits no threads, so `os.register_at_fork` drops the pool in the child and
the next parallel call there starts a new one.

Results do not depend on the thread count: elementwise and row-wise chunks compute exactly what
the serial loop computes, and the reductions sum fixed pieces whose size does not depend on it
(reductions.py).
"""
import os
import threading
import time
from functools import partial

__all__ = ["set_num_threads", "get_num_threads", "run_chunks", "run_split", "split"]


def _available_cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS, Windows)
        return max(1, os.cpu_count() or 1)


_num_threads = None  # None: not set by the user (get_num_threads() gives the available cores,
# and a call uses those that other processes leave idle: `threads_for_a_call`)
_pool = None
_pool_workers = 0
_pool_lock = threading.Lock()


def get_num_threads():
    """The number of threads the kernels use: set_num_threads(n)'s n, else the cores this
    process may run on (``len(os.sched_getaffinity(0))``)."""
    return _num_threads if _num_threads is not None else _available_cores()


def set_num_threads(n):
    """Use `n` threads (n >= 1) in the kernels above their size thresholds; 1 runs them serially.

    Affects this process only, and only this library's kernels: BLAS (matrix products) keeps its
    own thread count (threadpoolctl or OPENBLAS_NUM_THREADS control that).  `n` is a maximum:
    while other threads of this process keep cores busy (numpy's BLAS spins for ~0.1 s after a
    matrix product) a call leaves those cores to them; results are the same bits either way.  Errors as torch's:
    RuntimeError for a non-integer or for n < 1.
    """
    global _num_threads
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    n = n.__index__()
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads = n


def _reset_after_fork():
    # The child has only the forking thread: the pool's threads are gone and its lock may be held.
    global _pool, _pool_workers, _pool_lock
    _pool, _pool_workers, _pool_lock = None, 0, threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


class _Pool:
    """Daemon threads that help the calling thread with a call's chunks.

    A thread that has finished a call polls the pool's PUBLISHED counter for SPIN_S seconds, in
    native code and without the GIL (`claiming.poll`); then it sleeps on a condition variable (a
    futex: no CPU time) until a call wakes it.  A call sets `task` (a function of no arguments
    that claims and runs chunks until none is left), wakes the sleeping threads, and publishes
    itself; every thread that sees it runs `task` once.  How a call's chunks are shared out is
    the task's business (`run_split`: natively; `run_chunks`: under the GIL)."""

    def __init__(self):
        from . import claiming

        self.claiming = claiming
        self.state = claiming.new_state()
        self.task = None
        self.condition = threading.Condition(threading.Lock())
        self.wakeups = 0  # bumped (under `condition`) to wake the sleeping threads
        self.sleeping = 0
        self.threads = []
        self.cpu_clocks = []  # each thread's CPU-time clock (the other-threads watch reads them)
        ticks = claiming.ticks_per_second()
        self.spin_ticks = int(SPIN_S * ticks)
        self.wait_ticks = max(1, int(CALLER_WAITS_S * ticks))

    def grow(self, workers):
        with self.condition:
            while len(self.threads) < workers:
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"autograd_core-kernel-{len(self.threads) + 1}")
                self.threads.append(thread)
                thread.start()
                try:
                    self.cpu_clocks.append(time.pthread_getcpuclockid(thread.ident))
                except (AttributeError, OSError):  # no per-thread CPU clocks (macOS, Windows)
                    self.cpu_clocks = None

    def wake(self):
        """Wake the sleeping threads for a call about to be published (polling ones see it)."""
        if self.sleeping:
            with self.condition:
                self.wakeups += 1
                self.condition.notify_all()

    def submit(self, task):
        """Have the pool's threads run `task` once each (a call that shares work under the GIL).

        Published before the sleeping threads are counted: a thread about to sleep checks for a
        publication after counting itself asleep, so one of the two always sees the other."""
        self.task = task
        self.claiming.publish(self.state)
        self.wake()

    def _serve(self):
        poll, state, published_slot = self.claiming.poll, self.state, self.claiming.PUBLISHED
        seen, leaving = 0, False
        while True:
            published = poll(state, seen, self.spin_ticks, leaving)
            leaving = published != seen
            if not leaving:  # nothing came while polling: sleep until a call wakes this thread
                with self.condition:
                    wakeups = self.wakeups
                    self.sleeping += 1
                    while self.wakeups == wakeups and state[published_slot] == seen:
                        self.condition.wait()
                    self.sleeping -= 1
                continue
            seen = published
            task = self.task
            if task is not None:
                try:
                    task()
                except BaseException:  # run_chunks hands kernel errors to the caller; keep serving
                    pass
            # Drop the finished work now: an idle thread holding it would keep the call's arrays
            # (a backward's saved intermediates) alive until the next parallel call.
            task = None

    def cpu_seconds(self):
        """CPU time the pool's threads have used, polling included (None where unknown)."""
        clocks = self.cpu_clocks
        if clocks is None:
            return None
        return sum(time.clock_gettime(clock) for clock in clocks)


# A pool thread polls this long after a call before it sleeps.  The calls of a forward and
# backward follow each other within tens of microseconds, and a woken thread costs 30-70 us
# here (AMD EPYC, 2 vCPUs of a guest whose idle vCPUs halt at once): measured with
# benchmarks/threads.py, a 2-thread sigmoid forward on 2**20 float32 took ~240 us polled
# against ~360 us woken and ~430 us serial.  The poll pauses between reads and never takes a
# lock; it ends after SPIN_S whatever happens, so at most SPIN_S of a core goes to it after a
# call (a matrix product that follows shares one core with it for that long at worst).
SPIN_S = 200e-6
# After its last chunk a caller waits at most this long for the pool's threads to be back to
# polling, so that it does not have to queue for the GIL behind one of them.
CALLER_WAITS_S = 50e-6


def _executor(workers):
    """The pool, with at least `workers` threads (made, or grown, on demand)."""
    global _pool, _pool_workers
    pool = _pool
    if pool is not None and _pool_workers >= workers:
        return pool
    with _pool_lock:
        if _pool is None:
            from . import jit
            jit.load()  # the pool's native half is compiled with Numba
            _pool = _Pool()
        _pool.grow(workers)
        _pool_workers = max(_pool_workers, workers)
        return _pool


def split(n, parts, align=1):
    """`parts` boundaries [0, b1, ..., n] cutting range(n) into nearly equal pieces, each boundary a
    multiple of `align` (SIMD-friendly chunk starts)."""
    bounds = [0]
    for k in range(1, parts):
        bounds.append(min(n, (n * k // parts) // align * align))
    bounds.append(n)
    return bounds


def threads_for_a_call():
    """The threads a kernel call may use now: set_num_threads(n)'s n when the user set it, else
    the available cores less those other processes kept busy over the last second
    (`_spare_cores`); in both cases less the cores that other threads of this process kept busy
    since the calling thread's previous call (`_cores_held_by_other_threads`), at least 1."""
    if _num_threads is not None:
        threads = _num_threads
    elif not ADAPT_TO_LOAD:
        threads = _available_threads_cached()
    else:
        threads = _spare_cores()
    if threads > 1 and WATCH_OTHER_THREADS:
        threads = max(1, min(threads, _available_threads_cached() - _cores_held_by_other_threads()))
    return threads


def chunk_count(n, grain, per_thread=None):
    """How many chunks `n` units of work get: 1 below 2 `grain`, else up to `per_thread`
    (default CHUNKS_PER_THREAD) per thread, none smaller than `grain`."""
    if n < 2 * grain:
        return 1
    threads = threads_for_a_call()
    # run_chunks takes this decision instead of sampling the clocks a second time a few µs later
    # (a decision left unused goes to the thread's next run_chunks: still a valid count)
    _caller.decided = threads
    if threads == 1:
        return 1
    return min((CHUNKS_PER_THREAD if per_thread is None else per_thread) * threads, n // grain)


# Busy machines.  On a machine whose other cores are kept busy by other processes, a pool
# thread is woken into a queue behind them: measured here (2 cores, load ~5.5 from other
# processes) a 2-thread gelu fwd+bwd on 2**20 float32 took 5.2 ms (median) against 1.5 ms
# serial.  So by default (no set_num_threads call) the kernels use only the cores the other
# processes left idle over the last second, read from /proc/stat (like libgomp's OMP_DYNAMIC,
# which uses the load average); a thread count the user set is used as set.
ADAPT_TO_LOAD = True
_SAMPLE_EVERY_S = 1.0
_sample = None  # (monotonic time, total jiffies, idle jiffies, this process's CPU seconds)
_spare = None


def _cpu_sample():
    with open("/proc/stat", "rb") as stat:
        fields = stat.readline().split()[1:]
    ticks = [int(field) for field in fields[:8]]
    times = os.times()
    return time.monotonic(), sum(ticks), ticks[3] + ticks[4], times.user + times.system


def _spare_cores():
    global _sample, _spare
    now = time.monotonic()
    if _sample is not None and now - _sample[0] < _SAMPLE_EVERY_S:
        return _spare
    cores = _available_threads_cached()
    try:
        sample = _cpu_sample()
    except (OSError, ValueError, IndexError):  # not Linux: no way to tell, use every core
        _sample, _spare = (now, 0, 0, 0.0), cores
        return cores
    previous, _sample = _sample, sample
    if previous is None or sample[1] <= previous[1]:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        others = max(0.0, load - 1.0)  # the first call: the load average, less this process
    else:
        online = os.cpu_count() or cores
        busy = online * (1 - (sample[2] - previous[2]) / (sample[1] - previous[1]))
        own = (sample[3] - previous[3]) / max(sample[0] - previous[0], 1e-9)
        others = max(0.0, busy - own)
    _spare = max(1, min(cores, _whole_cores(cores - others)))
    return _spare


# Other threads of this process.  After a matrix product numpy's OpenBLAS (pthreads build) keeps
# its worker threads spinning (sched_yield) for about 0.1 s, waiting for the next one, and a
# training step has a matrix product before every activation and loss.  A pool thread woken
# then only time-shares a core with such a thread, and the call pays the wake-up for nothing:
# measured here (AMD EPYC, 2 cores; `python benchmarks/threads.py --parts pair,wide_steps`) a
# gelu fwd+bwd followed by a 512x512 matmul took 1.08x its serial time on 2 threads, and whole
# training steps of wide sigmoid/tanh/elu MLPs 1.05-1.07x.  So a call first compares this
# process's CPU time with what the calling thread and the pool used since the calling thread's
# previous call: the rest was burnt by other threads of the process (BLAS, or the user's own),
# and that many cores are left to them.  The BLAS settings themselves are not touched.
WATCH_OTHER_THREADS = True


def _pool_cpu_seconds():
    """CPU time the pool's threads have used (0 before there is a pool; None where unknown)."""
    pool = _pool
    return 0.0 if pool is None else pool.cpu_seconds()


class _CallerSample(threading.local):
    sample = None  # (monotonic time, process CPU time, this thread's CPU time, pool CPU time)
    decided = None  # the thread count chunk_count chose for the chunks run_chunks is about to run


_caller = _CallerSample()


def _cores_held_by_other_threads():
    """Cores' worth of CPU time that this process's other threads (neither the calling thread nor
    the pool) used since the calling thread's previous call, rounded; 0 on its first call."""
    pool_seconds = _pool_cpu_seconds()
    if pool_seconds is None:  # the pool's own polling could not be told apart from other threads
        return 0
    sample = (time.monotonic(), time.process_time(), time.thread_time(), pool_seconds)
    previous, _caller.sample = _caller.sample, sample
    if previous is None or sample[0] <= previous[0] or sample[3] < previous[3]:  # (a new pool)
        return 0
    others = (sample[1] - previous[1]) - (sample[2] - previous[2]) - (sample[3] - previous[3])
    return max(0, _whole_cores(others / (sample[0] - previous[0])))


def _whole_cores(cores):
    """Cores' worth of CPU time rounded to the nearest whole core (half a core or more is one)."""
    return int(cores + 0.5)


# More chunks than threads, taken in turn from a shared counter: when a pool thread wakes late
# (the other core busy with another process), the calling thread takes its chunks, so a loaded
# machine costs at most about one chunk more than serial instead of a whole half of the work.
CHUNKS_PER_THREAD = 4
# Memory-bound loops (activations.MEMORY_BOUND) take one contiguous chunk per thread instead:
# each thread then streams through one range.  Measured on an AMD EPYC Zen 1 (2 vCPUs, 1M
# float32, 2 threads; an in-process A/B of act(x).backward(g) and act(x).sum().backward(), 7
# rounds, three runs): relu 0.88-0.96 and leaky_relu 0.88-0.99 of the time with 4 chunks per
# thread; sigmoid 1.01-1.09 and tanh 1.01-1.04 (their memory-bound backward after a forward cut
# in 4 chunks per thread).  A pool thread late by a whole chunk then costs up to half the work;
# on a machine whose other cores are busy, threads_for_a_call already keeps such calls serial.
MEMORY_BOUND_CHUNKS_PER_THREAD = 1


def _largest_cache_bytes():
    """The size of the largest CPU cache in bytes (the last-level cache, shared by the cores),
    from Linux's sysfs; None where it cannot be read (other systems, odd virtual machines)."""
    sizes = []
    folder = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in os.listdir(folder):
            if entry.startswith("index"):
                with open(os.path.join(folder, entry, "size")) as file:
                    text = file.read().strip()
                scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
                sizes.append(int(text.rstrip("KMGkmg")) * scale)
    except (OSError, ValueError):
        return None
    return max(sizes) if sizes else None


# Memory-bound loops (a compare or a multiply per element) gain from a second thread only when
# their arrays do not stay in the last-level cache: from there, one core already moves about as
# much as two, and the second thread's wake-up and the shared counter only cost; from DRAM each
# core adds its own outstanding misses.  Measured with benchmarks/threads.py --parts
# memory_bound (2 threads / serial, the same arrays call after call): on an AMD EPYC Zen 5
# (32 MiB L3) relu backward at 2**20 / 2**22 / 2**24 float32 (12 / 48 / 192 MiB moved) 1.34 /
# 0.95 / 0.68, leaky_relu forward (8 / 32 / 128 MiB) 1.24 / 1.04 / 1.00; on a first-generation
# Zen EPYC (8 MiB L3) relu backward 0.84 / 0.75 / 0.77, leaky_relu forward 1.10 / 0.85 / 0.80.
# Between other work (W3's act(x).backward(g), 1M float32: x, y, g and dx take 16 MiB) the
# arrays are not all in the cache anyway: there (Zen 1) splitting from half the cache size took
# relu 1520 -> 1101 us and leaky_relu 1312 -> 1002 us (a quarter: 1147 / 945).  So a memory-bound
# kernel splits once its arrays take more than half the last-level cache (activations._run).
# 32 MiB where the cache size is unknown.
LAST_LEVEL_CACHE_BYTES = _largest_cache_bytes() or (32 << 20)


_cores = None


def _available_threads_cached():
    global _cores
    if _cores is None:
        _cores = _available_cores()
    return _cores


def _reset_cores_after_fork():
    global _cores, _sample
    _cores = _sample = None  # a child may be pinned to other cores (a launcher setting affinity after fork)


os.register_at_fork(after_in_child=_reset_cores_after_fork)


class _Work:
    """Chunks claimed one at a time by whichever thread asks next (the caller and the pool's)."""

    def __init__(self, kernel, arguments, helpers):
        self.kernel, self.arguments = kernel, arguments
        self.seats = helpers  # pool threads that may still join
        self.results = [None] * len(arguments)
        self.error = None
        self.claimed = 0  # chunks handed out
        self.completed = 0
        self.condition = threading.Condition(threading.Lock())

    def run(self):
        kernel, arguments, condition = self.kernel, self.arguments, self.condition
        total = len(arguments)
        while True:
            with condition:
                index = self.claimed
                if index >= total or self.error is not None:
                    return
                self.claimed = index + 1
            try:
                self.results[index] = kernel(*arguments[index])
            except BaseException as error:  # re-raised in the caller
                with condition:
                    if self.error is None:
                        self.error = error  # no chunk is claimed after this
            with condition:
                self.completed += 1
                if self.completed == self.claimed:
                    condition.notify_all()

    def help(self):
        """A pool thread's part: run chunks if the call still has a seat for a helper."""
        with self.condition:
            if self.seats <= 0:
                return
            self.seats -= 1
        self.run()

    def wait(self):
        """Until every claimed chunk is done (call after `run` returned: nothing is left to claim)."""
        with self.condition:
            while self.completed < self.claimed:
                self.condition.wait()


def run_chunks(kernel, arguments):
    """Call ``kernel(*a)`` for every tuple `a` in `arguments`, on this thread and up to
    get_num_threads() - 1 of the pool's; returns the results in order once all are done (the
    first exception raised by a chunk is re-raised here)."""
    threads, _caller.decided = _caller.decided, None
    if len(arguments) == 1:
        return [kernel(*arguments[0])]
    if threads is None:  # chunks cut without chunk_count
        threads = threads_for_a_call()
    helpers = min(threads, len(arguments)) - 1
    work = _Work(kernel, arguments, helpers)
    pool = task = None
    if helpers > 0:
        pool = _executor(helpers)
        task = work.help
        pool.submit(task)
    work.run()
    work.wait()
    if pool is not None and pool.task is task:
        pool.task = None  # a pool thread that sees the call late finds nothing to keep alive
    if work.error is not None:
        raise work.error
    return work.results


def run_split(kernel, out, operands, params, bounds):
    """``kernel(out[a:b], *(operand[a:b] for operand in operands), *params)`` for every [a, b) of
    `bounds` (slices along the first axis; a scalar operand is passed whole; 1 to 4 operands), on
    this thread and up to get_num_threads() - 1 of the pool's, the chunks claimed in native code
    (claiming.drive): no GIL is taken between chunks.  For Numba kernels that return nothing and
    raise no exception (elementwise and row-wise ones); others go through `run_chunks`."""
    threads, _caller.decided = _caller.decided, None
    if threads is None:
        threads = threads_for_a_call()
    helpers = min(threads, len(bounds) - 1) - 1
    if helpers <= 0:  # one thread: the whole range at once gives the same bits
        kernel(out, *operands, *params)
        return out
    pool = _executor(helpers)
    claiming = pool.claiming
    kernel = claiming.Kernel.of(kernel)
    counters = claiming.new_counters(helpers)
    bounds = claiming.as_bounds(bounds)
    driver = claiming.driver_for(kernel, out, operands, params)
    task = partial(driver, kernel, counters, bounds, out, operands, params, pool.state, 0)
    pool.task = task
    # Sleeping threads are woken before the call is published (inside the driver, once the GIL
    # is released, so that a polling thread that sees it finds the GIL free).  A thread that goes
    # to sleep between the two misses this call (the caller then runs every chunk itself) and is
    # woken by the next one.
    pool.wake()
    driver(kernel, counters, bounds, out, operands, params, pool.state, pool.wait_ticks)
    if pool.task is task:
        pool.task = None
    return out

"""What handing work to a pool thread costs on this machine: the ``wake`` part of threads.py.

A parallel kernel call (autograd_core/kernels/parallel.py) that comes more than SPIN_S after
the previous one wakes a pool thread that sleeps on a condition variable; with chunks claimed
in Python (run_chunks) the two threads then hand the GIL to each other between chunks.  Each
of those is a futex wake.  On bare metal one costs a few microseconds; in a virtual machine
whose idle vCPUs halt at once (the Linux guest's ``haltpoll`` cpuidle driver with
``guest_halt_poll_ns`` 0) it needs an interrupt through the hypervisor, and both the waker and
the woken thread pay for it.  This part measures:

- ``submit_us``: the caller's own time in ``pool.submit`` when the pool thread sleeps;
- ``start_after_submit_us``: submit -> the pool thread running the task, with the caller waiting
  (idle) and with the caller inside a nogil kernel (busy), medians and 90th percentiles;
- ``timeline``: a 2-thread sigmoid forward on 2**20 float32 cut into its usual chunks, each
  chunk timed from Python (which adds a little GIL work): when the caller's first chunk and the
  pool's first chunk begin, and how long the call takes after its last chunk ends, against
  the serial call.  The gap between the 2-thread time and half the serial time is what
  coordination costs.
- ``native_claiming_us``: the same forward as the library runs it (run_split: chunks claimed in
  native code) 100 us after the previous call (the pool thread still polls) and 1 ms after it
  (asleep), against the serial call after the same pause.

It also records the guest's cpuidle driver and halt-poll setting where Linux exposes them.
"""
import os
import threading
import time

import numpy as np

from autograd_core.kernels import activations, parallel


def _read(path):
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return None


def cpuidle_settings():
    """The cpuidle driver and, for haltpoll guests, how long an idle vCPU polls before it halts."""
    return {"cpuidle_driver": _read("/sys/devices/system/cpu/cpuidle/current_driver"),
            "guest_halt_poll_ns": _read("/sys/module/haltpoll/parameters/guest_halt_poll_ns")}


def _percentiles(seconds):
    values = np.asarray(seconds) * 1e6
    return {"median": float(np.median(values)), "p90": float(np.percentile(values, 90))}


def _submit_and_start(pool, repeats, busy):
    """(submit costs, start delays) with the caller waiting (busy=None) or running `busy()`."""
    submit, start = [], []
    for _ in range(repeats):
        began = [None]
        done = threading.Event()

        def task():
            began[0] = time.perf_counter()
            done.set()

        time.sleep(0.002)  # long enough for the pool thread to be asleep again
        t0 = time.perf_counter()
        pool.submit(task)
        submit.append(time.perf_counter() - t0)
        if busy is not None:
            busy()
        done.wait()
        start.append(began[0] - t0)
    return submit, start


def _timeline(x, repeats):
    """Per 2-thread sigmoid-forward call: (caller's first chunk start, pool's first chunk start,
    time after the last chunk, total), all from the call's start, in seconds."""
    kernel = activations._sigmoid_forward
    caller = threading.get_ident()
    log = []

    def timed(*arguments):
        started = time.perf_counter()
        kernel(*arguments)
        log.append((threading.get_ident() == caller, started, time.perf_counter()))

    out = np.empty_like(x)
    bounds = parallel.split(x.size, parallel.chunk_count(x.size, activations._COSTLY), 64)
    chunks = [(out[a:b], x[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    rows = []
    for _ in range(repeats):
        log.clear()
        time.sleep(0.001)
        t0 = time.perf_counter()
        parallel.run_chunks(timed, chunks)
        total = time.perf_counter() - t0
        mine = [s for is_caller, s, _ in log if is_caller]
        theirs = [s for is_caller, s, _ in log if not is_caller]
        last_end = max(e for _, _, e in log)
        rows.append((min(mine) - t0, (min(theirs) - t0) if theirs else None, t0 + total - last_end, total,
                     len(theirs)))
    return rows, len(chunks)


def part_wake(threads, repeats):
    """The costs above, printed and returned as a dict for threads.py's JSON."""
    repeats = max(repeats, 50)
    x = np.random.default_rng(5).standard_normal(1 << 20).astype(np.float32)
    out = np.empty_like(x)
    activations.sigmoid_forward(x)  # compiled, pool made
    previous = parallel._num_threads
    try:
        parallel.set_num_threads(max(2, threads))
        pool = parallel._executor(1)
        table = {"machine_idle": cpuidle_settings()}
        submit, idle = _submit_and_start(pool, repeats, None)
        _, busy = _submit_and_start(pool, repeats, lambda: activations._sigmoid_forward(out, x))
        table["submit_us"] = _percentiles(submit)
        table["start_after_submit_us"] = {"caller_waiting": _percentiles(idle), "caller_in_kernel": _percentiles(busy)}
        rows, chunks = _timeline(x, repeats)
        parallel.set_num_threads(1)
        serial = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            activations.sigmoid_forward(x)
            serial.append(time.perf_counter() - t0)
    finally:
        parallel._num_threads = previous
    pool_starts = [r[1] for r in rows if r[1] is not None]
    table["timeline"] = {
        "chunks": chunks,
        "caller_first_chunk_us": _percentiles([r[0] for r in rows]),
        "pool_first_chunk_us": _percentiles(pool_starts) if pool_starts else None,
        "calls_where_pool_ran_no_chunk": sum(r[1] is None for r in rows),
        "after_last_chunk_us": _percentiles([r[2] for r in rows]),
        "two_thread_call_us": _percentiles([r[3] for r in rows]),
        "serial_call_us": _percentiles(serial),
    }
    table["native_claiming_us"] = _after_pauses(x, repeats, threads)
    idle_settings = table["machine_idle"]
    print(f"cpuidle driver {idle_settings['cpuidle_driver']}, guest_halt_poll_ns {idle_settings['guest_halt_poll_ns']}")
    print(f"submit to a sleeping pool thread: {table['submit_us']['median']:.1f} us of the caller's time "
          f"(p90 {table['submit_us']['p90']:.1f})")
    for label, values in table["start_after_submit_us"].items():
        print(f"pool thread starts after submit, {label.replace('_', ' ')}: {values['median']:.1f} us "
              f"(p90 {values['p90']:.1f})")
    line = table["timeline"]
    pool_first = f"{line['pool_first_chunk_us']['median']:.0f}" if pool_starts else "never"
    print(f"sigmoid forward 2**20 in {chunks} chunks: caller's first chunk at {line['caller_first_chunk_us']['median']:.0f} us, "
          f"pool's at {pool_first} us ({line['calls_where_pool_ran_no_chunk']} of {repeats} calls without one), "
          f"{line['after_last_chunk_us']['median']:.0f} us after the last chunk; call "
          f"{line['two_thread_call_us']['median']:.0f} us on 2 threads against {line['serial_call_us']['median']:.0f} us serial "
          f"(half: {line['serial_call_us']['median'] / 2:.0f})", flush=True)
    claims = table["native_claiming_us"]
    print("sigmoid forward 2**20 as the library runs it (chunks claimed in native code), after a pause: "
          + ", ".join(f"{pause} {values['parallel']['median']:.0f} us on {max(2, threads)} threads against "
                      f"{values['serial']['median']:.0f} serial" for pause, values in claims.items()), flush=True)
    return table


def _pause(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # busy: a sleep would let this vCPU halt as well
        pass


def _after_pauses(x, repeats, threads):
    """activations.sigmoid_forward (run_split) after a 100 us pause (the pool thread still polls)
    and after a 1 ms one (it sleeps: the call wakes it), each against the serial call."""
    previous = parallel._num_threads
    table = {}
    try:
        for label, seconds in (("100us", 100e-6), ("1ms", 1e-3)):
            times = {"serial": [], "parallel": []}
            for _ in range(repeats):
                for mode, n in (("serial", 1), ("parallel", max(2, threads))):
                    parallel.set_num_threads(n)
                    activations.sigmoid_forward(x)  # the call before the pause
                    _pause(seconds)
                    t0 = time.perf_counter()
                    activations.sigmoid_forward(x)
                    times[mode].append(time.perf_counter() - t0)
            table[label] = {mode: _percentiles(values) for mode, values in times.items()}
    finally:
        parallel._num_threads = previous
    return table

"""One library's worker process: ``python benchmarks/worker.py LIB [--train JSON]``.

Serve mode (default) speaks JSON lines: one request per line on stdin, one reply
per line on the process's original stdout (the library's own prints are sent to
stderr so they cannot corrupt the protocol).  Requests:

    {"op": "setup", "fn", "inputs": npz, "params", "check_out": npz, "target_s"}
        build the case, run its check (saved to check_out), calibrate `number`
    {"op": "time"}     run the case `number` times; reply with seconds per call
    {"op": "drop"}     forget the case
Replies are {"ok": true, ...} or {"ok": false, "kind": "unsupported"|"error", "reason"}.

``--train '{"inputs", "params", "steps", "mark"}'`` runs one W1 training loop in this
fresh process and prints one JSON line (W6 and W7; see workloads/process.py).
"""
import gc
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peers import LIBRARIES_AND_MACHINE  # noqa: E402  (no numpy here: W7 times the first import)


def one_line(error):
    """`Type: message`, first line only, short enough for a table cell."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def load_inputs(path):
    """{name: array} from the .npz the parent wrote (numpy imported only now, for W7)."""
    import numpy as np

    with np.load(path) as data:
        return {name: data[name] for name in data.files}


class Server:
    """Holds the library's peer module and the one prepared case."""

    def __init__(self, module):
        self.module = module
        self.timed = None
        self.number = 1

    def setup(self, request):
        """Build the case, save its check, calibrate how many runs make one timed batch."""
        import numpy as np

        from peers.common import Unsupported

        self.timed = None
        function = getattr(self.module, request["fn"], None)
        if function is None:
            return {"ok": False, "kind": "unsupported", "reason": f"no {request['fn']} for this library"}
        try:
            timed = function(**load_inputs(request["inputs"]), **request["params"])
            check = timed.check()
            np.savez(request["check_out"], **{k: np.asarray(v) for k, v in check.items()})
            first = self._measure(timed, 1)
        except Unsupported as error:
            return {"ok": False, "kind": "unsupported", "reason": str(error)}
        except Exception as error:  # any failure of the library is a result, not a crash
            return {"ok": False, "kind": "error", "reason": one_line(error)}
        self.timed = timed
        self.number = max(1, min(10_000, int(request["target_s"] / max(first, 1e-9))))
        return {"ok": True, "first_s": first, "number": self.number}

    def time(self):
        """One timed batch: seconds per run."""
        try:
            return {"ok": True, "seconds": self._measure(self.timed, self.number) / self.number}
        except Exception as error:
            return {"ok": False, "kind": "error", "reason": one_line(error)}

    @staticmethod
    def _measure(timed, number):
        """Total seconds of `number` runs; `before()` (if any) runs outside the clock."""
        run, before, clock = timed.run, timed.before, time.perf_counter
        total = 0.0
        for _ in range(number):
            if before is not None:
                before()
            start = clock()
            run()  # its result is freed inside the clock: releasing the graph is part of the cost
            total += clock() - start
        return total

    def handle(self, request):
        """Dispatch one request to its reply."""
        op = request["op"]
        if op == "setup":
            return self.setup(request)
        if op == "time":
            return self.time()
        if op == "drop":
            self.timed = None
            gc.collect()
            return {"ok": True}
        return {"ok": False, "kind": "error", "reason": f"unknown request {op!r}"}


def settle(probe=0.005, limit=0.5):
    """Wait until this process stops using CPU (at most `limit` seconds).

    After a BLAS call OpenBLAS's threads keep spinning (sched_yield) for up to ~0.1 s;
    on a 2-core machine that would slow down whichever library is timed next.  So a
    worker replies only once its own threads are idle: a `probe`-long sleep during
    which the process used under a fifth of it.
    """
    import resource

    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = cpu_seconds()
        time.sleep(probe)
        if cpu_seconds() - before < probe / 5:
            return


def steady_allocator():
    """Put glibc's malloc where a long-running process would be, the same for every library.

    A fresh process serves large blocks (> 128 KiB) with mmap and returns them on
    free, so every new multi-MB array costs a page fault per 4 KiB page (a 10^6-element
    relu measured 5.7 ms instead of 0.8 ms).  Freeing one ~30 MiB mmap'd block raises
    glibc's dynamic mmap threshold to that size (and the trim threshold to twice it),
    as any process that has handled a large array already has.
    """
    import numpy as np

    block = np.ones(30 * 2**20 // 8)
    del block


def serve(library, reply_stream):
    """Import the library's peer module, say hello, then answer requests until stdin closes."""
    def send(message):
        reply_stream.write(json.dumps(message) + "\n")
        reply_stream.flush()

    try:
        module = importlib.import_module(LIBRARIES_AND_MACHINE[library].module)
    except Exception as error:
        send({"ok": False, "kind": "error", "reason": one_line(error)})
        return
    steady_allocator()
    send({"ok": True, "version": getattr(module, "VERSION", "?")})
    server = Server(module)
    for line in sys.stdin:
        if line.strip():
            reply = server.handle(json.loads(line))
            settle()
            send(reply)


def resident_bytes():
    """Current RSS from /proc/self/statm (resident pages x page size)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def train(library, inputs, params, steps, mark):
    """W6/W7: import the library, build W1, run `steps` steps; times and RSS along the way."""
    import resource

    start = time.perf_counter()
    module = importlib.import_module(LIBRARIES_AND_MACHINE[library].module)
    imported = time.perf_counter()
    timed = module.mlp_step(**load_inputs(inputs), **params)
    rss_before = resident_bytes()
    timed.run()
    first_step = time.perf_counter()
    rss_at_mark = None
    for step in range(2, steps + 1):
        timed.run()
        if step == mark:
            rss_at_mark = resident_bytes()
    return {
        "import_s": imported - start, "setup_and_first_step_s": first_step - imported,
        "rss_before_steps": rss_before, "rss_at_mark": rss_at_mark, "rss_at_end": resident_bytes(),
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main(argv):
    """``LIB`` serves requests; ``LIB --train JSON`` runs one training loop and prints its figures."""
    library = argv[0]
    reply_stream = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the library's prints go to stderr
    if len(argv) == 1:
        serve(library, reply_stream)
        return
    options = json.loads(argv[2])
    try:
        result = {"ok": True, **train(library, options["inputs"], options["params"],
                                      options["steps"], options.get("mark"))}
    except Exception as error:
        result = {"ok": False, "reason": one_line(error)}
    reply_stream.write(json.dumps(result) + "\n")
    reply_stream.flush()


if __name__ == "__main__":
    main(sys.argv[1:])

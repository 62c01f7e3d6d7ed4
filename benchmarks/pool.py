"""The parent's handle on one library's worker process: requests with a timeout, failures as reasons."""
import json
import os
import select
import subprocess
import sys

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


class WorkerProcess:
    """A running ``worker.py LIB``.  `request` never raises: a crash, a hang or a bad
    reply comes back as ``{"ok": False, "kind": "error", "reason": ...}`` and the process
    is ended (the next case starts a fresh one)."""

    def __init__(self, library, log_path, start_timeout=300):
        self.library = library
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, WORKER, library], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, bufsize=0,
        )
        self.hello = self._read(start_timeout)
        self.version = self.hello.get("version")

    @property
    def alive(self):
        """Is the worker process still running?"""
        return self.process is not None and self.process.poll() is None

    def request(self, message, timeout):
        """Send one request and wait up to `timeout` seconds for its reply."""
        if not self.alive:
            return self._failure("worker is not running")
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
        except OSError:
            return self._failure("worker died")
        return self._read(timeout)

    def _read(self, timeout):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return self._failure(f"timed out after {timeout:.0f} s")
        line = self.process.stdout.readline()
        if not line:
            return self._failure("worker died")
        try:
            return json.loads(line)
        except ValueError:
            return self._failure(f"bad reply {line[:80]!r}")

    def _failure(self, what):
        self.close(kill=True)
        last = _last_line(self.log_path)
        return {"ok": False, "kind": "error", "reason": f"{what}" + (f" ({last})" if last else "")}

    def close(self, kill=False):
        """End the worker: politely (close its stdin) or, with `kill`, at once."""
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
        self.process.wait()
        self.process = None
        self.log.close()


def _last_line(path, limit=160):
    """The last non-empty line of a worker's stderr log (usually the exception)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.path.getsize(path) - 4096))
            lines = [line.strip() for line in log.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""

"""A writer killed mid-save (SIGKILL, in a child process) leaves the previous checkpoint intact."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import autograd_core as ag

_WRITER = """
import sys
import numpy as np
import autograd_core as ag
path = sys.argv[1]
version = 1
while True:  # large files, one after another, until killed
    ag.save({"version": ag.tensor(version), "w": ag.from_numpy(np.full(4_000_000, float(version)))}, path)
    version += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_save_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ag.save({"version": ag.tensor(0), "w": ag.from_numpy(np.zeros(4_000_000))}, path)
    killed_mid_write = 0
    for attempt in range(3):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)])
        try:
            deadline = time.monotonic() + 120
            # Wait until the writer is filling a temporary file (after at least one full save
            # from the second attempt on), then kill it without warning.
            while time.monotonic() < deadline:
                partial = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
                if partial and os.path.getsize(tmp_path / partial[0]) > 0:
                    child.send_signal(signal.SIGKILL)
                    killed_mid_write += 1
                    break
                time.sleep(0.001)
        finally:
            child.kill()
            child.wait()
        loaded = ag.load(path)  # the checksum is verified: a torn file would raise
        version = int(loaded["version"].item())
        assert np.array_equal(loaded["w"].numpy(), np.full(4_000_000, float(version)))
        for name in os.listdir(tmp_path):  # what the killed writer left behind is only its temporary
            if name.endswith(".tmp"):
                os.remove(tmp_path / name)
    assert killed_mid_write == 3
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]

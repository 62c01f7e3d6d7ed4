"""The libraries compared, one module each; a worker process imports exactly one of them.

``module`` is imported inside the worker (never in the parent, so that the parent
measures nothing and one library's import cannot disturb another's timings);
``requires`` is the top-level package whose absence means "not installed".
"""
from collections import namedtuple

Library = namedtuple("Library", "module requires description")

LIBRARIES = {
    "ours": Library("peers.ours", "autograd_core", "this project: autograd_core + nn + optim"),
    "torch": Library("peers.torch_cpu", "torch", "PyTorch CPU, torch.set_num_threads(2)"),
    "autograd": Library("peers.hips_autograd", "autograd", "HIPS autograd (tracing, numpy)"),
    "mygrad": Library("peers.mygrad_peer", "mygrad", "mygrad (numpy tensors with a tape)"),
    "micrograd": Library("peers.micrograd_peer", "micrograd", "micrograd (scalar engine)"),
    "numpy": Library("peers.numpy_floor", "numpy", "hand-written numpy forward/backward (the floor)"),
}

#: Not a library: numpy measuring the machine (GEMM peak, copy bandwidth) in the same run.
MACHINE = "machine"
LIBRARIES_AND_MACHINE = dict(LIBRARIES, machine=Library("peers.machine", "numpy", "machine limits"))

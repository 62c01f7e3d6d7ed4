"""`GradientMonitor`: watch the gradient flow and the activations of every layer while training.

    monitor = nn.utils.GradientMonitor(model)
    for step in range(steps):
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        monitor.step()                   # one row per leaf module into monitor.records
        optimizer.step()
    monitor.plot("gradient_flow.png")    # gradient norm and dead fraction per layer, over steps
    monitor.remove()

A forward hook on every *leaf module* (a module with no children: Linear, ReLU, ...)
keeps statistics of its latest output; `step()` reads each leaf's weight gradient and
writes one row per leaf module:

    {"step": 1, "layer": "1", "type": "ReLU", "grad_norm": None,
     "act_mean": 0.21, "act_std": 0.33, "dead_fraction": 0.125}

* ``grad_norm``: the L2 norm of the module's ``weight.grad`` (None without a weight or a gradient);
* ``act_mean``, ``act_std``: mean and (population) standard deviation of its latest forward output
  (forwards under ``no_grad()`` are ignored, so evaluation does not overwrite them);
* ``dead_fraction``: for the ReLU family, the fraction of units -- features along dim 1 -- whose
  output was zero for every sample of the batch (a dead ReLU passes no gradient); for LeakyReLU and
  ELU, which never output exactly zero, the fraction of units whose *input* was negative for every
  sample, i.e. that would be dead under a ReLU; None for every other layer.

All numbers are plain Python floats; ``step`` counts from 1.
"""
import math

import numpy as np

import autograd_core as ag

#: Layers whose units can die: the output is exactly zero wherever the input is negative.
ZERO_BELOW = ("ReLU", "ReLU6")
#: Layers with a small slope (or a saturating curve) below zero: counted by their negative inputs.
NEGATIVE_SIDE = ("LeakyReLU", "ELU", "CELU", "SELU", "PReLU", "RReLU")


def _dead_fraction(values):
    """The fraction of units (index along dim 1; each element of a 1-D tensor) for which
    `values` (a bool array: 'this unit did nothing for this sample') holds for every sample."""
    if values.ndim == 0:
        return None
    if values.ndim == 1:
        return float(values.mean())
    per_unit = np.moveaxis(values, 1, 0).reshape(values.shape[1], -1).all(axis=1)
    return float(per_unit.mean())


class GradientMonitor:
    """Record per-layer gradient norms, activation statistics and dead units (module docstring)."""

    def __init__(self, model):
        self.model = model
        self.records = []
        self.steps = 0
        self._latest = {}
        self._handles = []
        self._layers = []
        for name, module in model.named_modules():
            if next(iter(module.children()), None) is not None:
                continue  # a container: its leaves are watched instead
            self._layers.append((name, module))
            self._handles.append(module.register_forward_hook(self._hook_for(name)))

    def _hook_for(self, name):
        latest = self._latest

        def hook(module, args, output):
            if not ag.is_grad_enabled() or not isinstance(output, ag.Tensor):
                return None  # evaluation under no_grad() does not feed the monitor
            values = np.asarray(output.detach().numpy(), dtype=np.float64)
            kind = type(module).__name__
            dead = None
            if kind in ZERO_BELOW:
                dead = _dead_fraction(values == 0)
            elif kind in NEGATIVE_SIDE and args and isinstance(args[0], ag.Tensor):
                dead = _dead_fraction(args[0].detach().numpy() < 0)
            latest[name] = (float(values.mean()) if values.size else math.nan,
                            float(values.std()) if values.size else math.nan, dead)
            return None

        return hook

    def step(self):
        """Record one row per leaf module (call it after ``backward()``); returns this step's rows."""
        if not self._handles:
            return []  # removed: nothing is recorded any more
        self.steps += 1
        rows = []
        for name, module in self._layers:
            weight = getattr(module, "weight", None)
            grad = getattr(weight, "grad", None) if isinstance(weight, ag.Tensor) else None
            grad_norm = None
            if grad is not None:
                flat = np.asarray(grad.numpy(), dtype=np.float64).reshape(-1)
                grad_norm = float(np.sqrt(np.dot(flat, flat)))
            act_mean, act_std, dead = self._latest.get(name, (None, None, None))
            rows.append({"step": self.steps, "layer": name, "type": type(module).__name__,
                         "grad_norm": grad_norm, "act_mean": act_mean, "act_std": act_std,
                         "dead_fraction": dead})
        self.records.extend(rows)
        return rows

    def remove(self):
        """Remove the hooks; a later `step()` records nothing."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
        return False

    def series(self, key):
        """{layer: ([steps], [values])} of one record key, for the layers where it is not None."""
        found = {}
        for row in self.records:
            if row[key] is not None:
                steps, values = found.setdefault(row["layer"], ([], []))
                steps.append(row["step"])
                values.append(row[key])
        return found

    def plot(self, path, title=None):
        """Save a PNG: each layer's gradient norm over steps (log scale) and, where there are
        ReLU-family layers, their dead fraction over steps.  Needs matplotlib (the `examples` extra)."""
        try:
            from matplotlib import colormaps
            from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone
        except ImportError as error:
            raise ModuleNotFoundError(
                "GradientMonitor.plot needs matplotlib: pip install matplotlib "
                "(or the project's `examples` extra: pip install -e \".[examples]\")", name="matplotlib"
            ) from error
        grads = self.series("grad_norm")
        dead = self.series("dead_fraction")
        figure = Figure(figsize=(11, 3.8))
        left, right = figure.subplots(1, 2)
        colours = colormaps["viridis"](np.linspace(0, 0.9, max(len(grads), 1)))
        for colour, (layer, (steps, values)) in zip(colours, grads.items()):
            left.plot(steps, np.maximum(values, 1e-30), color=colour, label=f"{layer} ({self._type(layer)})")
        left.set_yscale("log")
        left.set_xlabel("step")
        left.set_ylabel("L2 norm of the weight gradient")
        left.set_title("gradient norm per layer")
        if grads:
            left.legend(fontsize=7, ncol=2)
        colours = colormaps["plasma"](np.linspace(0, 0.85, max(len(dead), 1)))
        for colour, (layer, (steps, values)) in zip(colours, dead.items()):
            right.plot(steps, values, color=colour, label=f"{layer} ({self._type(layer)})")
        right.set_ylim(-0.02, 1.02)
        right.set_xlabel("step")
        right.set_ylabel("fraction of dead units")
        right.set_title("dead units per ReLU-family layer" if dead else "dead units (no ReLU-family layer)")
        if dead:
            right.legend(fontsize=7, ncol=2)
        if title:
            figure.suptitle(title)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        return path

    def _type(self, layer):
        for name, module in self._layers:
            if name == layer:
                return type(module).__name__
        return "?"

    def __repr__(self):
        state = "removed" if not self._handles else f"watching {len(self._layers)} layers"
        return f"GradientMonitor({state}, {self.steps} steps recorded)"

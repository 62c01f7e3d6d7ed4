"""How a Tensor prints: torch's layout (``tensor([1., 2.], requires_grad=True)``).

Kept apart from `tensor.py` (as torch keeps it in ``_tensor_str.py``): printing is
a numpy formatting concern, not part of the handle.
"""
import numpy as np

from . import dtypes


def tensor_repr(array, node, requires_grad):
    """torch's repr of a tensor with values `array`, made by `node` (or a leaf)."""
    body = np.array2string(array, separator=", ", prefix="tensor(", formatter=_torch_like_formatter(array))
    extras = []
    if array.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_) or \
            (array.size == 0 and array.dtype != dtypes.get_default_dtype()):
        extras.append(f"dtype={array.dtype}")
    if node is not None:
        extras.append(f"grad_fn=<{node.name}Backward>")
    elif requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _torch_like_formatter(array):
    """Print floats as torch does: ``1., 2.`` when all are whole numbers, else 4 decimals, aligned."""
    if array.dtype.kind == "b" and array.size:
        width = 4 if array.all() else 5  # torch: [True], [ True, False]
        return {"bool": lambda value: str(bool(value)).rjust(width)}
    if array.dtype.kind != "f" or array.size == 0:
        return None
    finite = np.abs(array[np.isfinite(array)])
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and finite.max() < 1e8:
        style = "{:.0f}."
    elif nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4):
        style = "{:.4e}"
    else:
        style = "{:.4f}"

    def text(value):
        return style.format(value) if np.isfinite(value) else str(value)

    width = max(len(text(v)) for v in array.reshape(-1))
    return {"float_kind": lambda value: text(value).rjust(width)}

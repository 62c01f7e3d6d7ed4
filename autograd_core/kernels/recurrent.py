"""Numba kernels for the gate math of one recurrent time step (LSTM, GRU, Elman), forward and backward.

The sequence ops (ops/recurrent_sequence.py) run one small matmul with W_hh per time step and
then one of these calls, which does every elementwise operation of the step in one pass over
the (B, H) positions: no temporaries, one dispatch instead of ~10 numpy ufunc calls.  Each has
exactly the signature of its numpy twin in `reference_recurrent.py` (which documents the
arguments) and writes into the outputs it is given.  sigmoid and tanh come from `scalar_math`
(PyPI's llvmlite has no SVML: libm's tanh in the loop would not vectorize); their ulp bounds
are in tests/kernels/test_scalar_math.py.

Arrays are 2-D (B, G H) or (B, H), any strides (the ops pass C-contiguous ones, one compiled
version per dtype), float32 or float64; `bias_hn` is 1-D (H,).  An output may be the same
array as the input in the same position of the state (``carry_out`` is ``carry``): each
element is read before it is written.  The steps are too small (at most ~B H = 6400 positions
per call at the sizes measured) to be worth a second thread, so nothing here is chunked.
"""
from .jit import njit
from . import scalar_math as sm

_JIT = dict(cache=True, error_model="numpy", nogil=True)
# The 1-D helpers are inlined into the step kernels at Numba's IR level: as separate functions
# each call costs its prologue and LLVM's alias checks again (LSTM forward step, float32,
# hidden 64: B = 32 6.7 -> 5.2 us, B = 100 19.7 -> 14.6 us).
_HELPER = dict(_JIT, inline="always")


# -- LSTM ----------------------------------------------------------------------------------------
@njit(**_HELPER)
def _sigmoid_of_sum(out, a, b):
    for j in range(out.size):
        out[j] = sm.sigmoid(a[j] + b[j])


@njit(**_HELPER)
def _tanh_of_sum(out, a, b):
    for j in range(out.size):
        out[j] = sm.tanh(a[j] + b[j])


@njit(**_HELPER)
def _tanh_of_gated_sum(out, a, gate, b):
    for j in range(out.size):
        out[j] = sm.tanh(a[j] + gate[j] * b[j])


@njit(**_JIT)
def lstm_forward_step(hh, projected, c_prev, gates, h_out, c_out, tanh_c):
    """One LSTM step's gates, c_t, tanh(c_t), h_t (see reference_recurrent.lstm_forward_step)."""
    batch, size = c_prev.shape
    for b in range(batch):
        # One 1-D loop per gate block and one for the state: each vectorizes (a single loop
        # writing all seven outputs does not: too many arrays for LLVM's alias checks).
        _sigmoid_of_sum(gates[b, :2 * size], hh[b, :2 * size], projected[b, :2 * size])
        _tanh_of_sum(gates[b, 2 * size:3 * size], hh[b, 2 * size:3 * size], projected[b, 2 * size:3 * size])
        _sigmoid_of_sum(gates[b, 3 * size:], hh[b, 3 * size:], projected[b, 3 * size:])
        row = gates[b]
        for j in range(size):
            c = row[size + j] * c_prev[b, j] + row[j] * row[2 * size + j]
            c_out[b, j] = c
            tanh_c[b, j] = sm.tanh(c)
        for j in range(size):
            h_out[b, j] = row[3 * size + j] * tanh_c[b, j]


@njit(**_HELPER)
def _lstm_backward_row(grad_h, grad_c, recurrent, carry, gates, tanh_c, c_prev, d_gates, carry_out):
    size = c_prev.size
    one = c_prev.dtype.type(1)
    for j in range(size):
        t = tanh_c[j]
        o = gates[3 * size + j]
        dh = grad_h[j] + recurrent[j]
        d_gates[3 * size + j] = dh * t * o * (one - o)
        carry_out[j] = grad_c[j] + carry[j] + dh * o * (one - t * t)  # dL/dc_t, scaled by f below
    for j in range(size):
        i = gates[j]
        f = gates[size + j]
        cell = gates[2 * size + j]
        dc = carry_out[j]
        d_gates[j] = dc * cell * i * (one - i)
        d_gates[size + j] = dc * c_prev[j] * f * (one - f)
        d_gates[2 * size + j] = dc * i * (one - cell * cell)
        carry_out[j] = dc * f


@njit(**_JIT)
def lstm_backward_step(grad_h, grad_c, recurrent, carry, gates, tanh_c, c_prev, d_gates, carry_out):
    """One LSTM step's pre-activation gradients and dL/dc_(t-1) (see the twin)."""
    for b in range(c_prev.shape[0]):
        # Row by row over 1-D slices, in two loops of few arrays each, so that both vectorize.
        _lstm_backward_row(grad_h[b], grad_c[b], recurrent[b], carry[b], gates[b], tanh_c[b], c_prev[b],
                           d_gates[b], carry_out[b])


# -- GRU -----------------------------------------------------------------------------------------
@njit(**_JIT)
def gru_forward_step(hh, projected, bias_hn, h_prev, gates, hn_out, h_out):
    """One GRU step's gates r, z, n, hh_n + b_hn and h_t (see the twin)."""
    batch, size = h_prev.shape
    for b in range(batch):
        # Short 1-D loops over few arrays each, as in lstm_forward_step: each one vectorizes.
        _sigmoid_of_sum(gates[b, :2 * size], projected[b, :2 * size], hh[b, :2 * size])
        row = gates[b]
        for j in range(size):
            hn_out[b, j] = hh[b, 2 * size + j] + bias_hn[j]
        _tanh_of_gated_sum(row[2 * size:], projected[b, 2 * size:], row[:size], hn_out[b])
        for j in range(size):
            n = row[2 * size + j]
            h_out[b, j] = n + row[size + j] * (h_prev[b, j] - n)


@njit(**_HELPER)
def _gru_backward_row(grad_h, recurrent, carry, h_prev, gates, hn, d_projected, d_hh, carry_out):
    size = h_prev.size
    one = h_prev.dtype.type(1)
    for j in range(size):
        z = gates[size + j]
        n = gates[2 * size + j]
        dh = grad_h[j] + recurrent[j] + carry[j]
        dz = dh * (h_prev[j] - n) * z * (one - z)
        d_projected[size + j] = dz
        d_hh[size + j] = dz
        d_projected[2 * size + j] = dh * (one - z) * (one - n * n)
        carry_out[j] = dh * z
    for j in range(size):
        r = gates[j]
        dpn = d_projected[2 * size + j]
        dr = dpn * hn[j] * r * (one - r)
        d_projected[j] = dr
        d_hh[j] = dr
        d_hh[2 * size + j] = dpn * r


@njit(**_JIT)
def gru_backward_step(grad_h, recurrent, carry, h_prev, gates, hn, d_projected, d_hh, carry_out):
    """One GRU step's gradients for its projection and its hh, and dL/dh_(t-1) through z (see the twin)."""
    for b in range(h_prev.shape[0]):
        # Row by row, two loops of few arrays each (as lstm_backward_step): both vectorize.
        _gru_backward_row(grad_h[b], recurrent[b], carry[b], h_prev[b], gates[b], hn[b], d_projected[b], d_hh[b],
                          carry_out[b])


# -- Elman ---------------------------------------------------------------------------------------
@njit(**_JIT)
def elman_tanh_forward_step(hh, projected, h_out):
    """h_t = tanh(hh + projected)"""
    for b in range(h_out.shape[0]):
        _tanh_of_sum(h_out[b], hh[b], projected[b])


@njit(**_JIT)
def elman_relu_forward_step(hh, projected, h_out):
    """h_t = max(hh + projected, 0), NaN kept"""
    batch, size = h_out.shape
    for b in range(batch):
        for j in range(size):
            v = hh[b, j] + projected[b, j]
            h_out[b, j] = 0 if v < 0 else v


@njit(**_JIT)
def elman_tanh_backward_step(grad_h, recurrent, h, d_pre):
    """d_pre = (grad_h + recurrent) (1 - h^2)"""
    batch, size = h.shape
    one = h.dtype.type(1)
    for b in range(batch):
        for j in range(size):
            y = h[b, j]
            d_pre[b, j] = (grad_h[b, j] + recurrent[b, j]) * (one - y * y)


@njit(**_JIT)
def elman_relu_backward_step(grad_h, recurrent, h, d_pre):
    """d_pre = grad_h + recurrent where h > 0, else 0"""
    batch, size = h.shape
    for b in range(batch):
        for j in range(size):
            total = grad_h[b, j] + recurrent[b, j]  # read unconditionally: no masked loads (activations.py)
            d_pre[b, j] = total if h[b, j] > 0 else 0

"""Test helpers: an independent finite-difference gradient check.

This deliberately does not use `autograd_core.gradcheck`, so that a bug there
cannot hide a bug in an op.  It checks d(sum(w * f(x)))/dx for a fixed random
weight w (so every output element matters) against central differences in
float64.
"""
import numpy as np

import autograd_core as ag


def numerical_gradients(fn, arrays, weights, eps=1e-6):
    """Central differences of ``sum(weights * fn(*arrays))`` with respect to each array (float64)."""

    def objective():
        # Inputs require grad so that functions which differentiate internally
        # (e.g. a first derivative computed with autograd_core.grad) can run.
        out = fn(*[ag.tensor(a, requires_grad=True) for a in arrays])
        return float(np.sum(out.detach().numpy().astype(np.float64) * weights))

    grads = []
    for array in arrays:
        grad = np.zeros_like(array, dtype=np.float64)
        flat, flat_grad = array.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            flat_grad[i] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def analytic_gradients(fn, arrays, weights):
    """Gradients from the engine's backward() of ``sum(weights * fn(*tensors))``."""
    tensors = [ag.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    (out * ag.tensor(weights)).sum().backward()
    return [np.zeros(a.shape) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, tensors)]


def check_gradients(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Assert the engine's gradients of `fn` at `arrays` (float64) match finite differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = fn(*[ag.tensor(a, requires_grad=True) for a in arrays])
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    analytic = analytic_gradients(fn, arrays, weights)
    numeric = numerical_gradients(fn, arrays, weights, eps)
    for position, (a, n) in enumerate(zip(analytic, numeric)):
        assert a.shape == n.shape, f"input {position}: gradient shape {a.shape}, expected {n.shape}"
        np.testing.assert_allclose(a, n, atol=atol, rtol=rtol, err_msg=f"gradient of input {position}")


def random_array(shape, seed=0, low=-2.0, high=2.0):
    """Reproducible float64 test data."""
    return np.random.default_rng(seed).uniform(low, high, size=shape)

"""Central-difference gradient checks shared by the nn tests (float64)."""

from __future__ import annotations

import numpy as np


def numerical_grad(f, a: np.ndarray, idx, eps: float = 1e-6) -> np.ndarray:
    """d f() / d a[i] for each flat index i in `idx`, by central differences."""
    assert a.flags.c_contiguous, "perturb a contiguous array"
    flat = a.reshape(-1)
    out = np.empty(len(idx))
    for j, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        out[j] = (fp - fm) / (2 * eps)
    return out


def sample_idx(size: int, rng: np.random.Generator, max_n: int = 40) -> np.ndarray:
    if size <= max_n:
        return np.arange(size)
    return rng.choice(size, max_n, replace=False)


def assert_close(analytic, numeric, what, rtol=1e-5, atol=1e-7):
    analytic = np.asarray(analytic, dtype=np.float64)
    err = np.abs(analytic - numeric)
    tol = atol + rtol * np.maximum(np.abs(analytic), np.abs(numeric))
    assert np.all(err <= tol), (
        f"{what}: max abs error {err.max():.3g}; analytic {analytic[:5]}, numeric {numeric[:5]}"
    )


def check_layer(layer, x: np.ndarray, seed: int = 0, reset=None, max_n: int = 40) -> None:
    """Gradient check of `layer` (params already float64) on input `x` (float64)."""
    rng = np.random.default_rng(seed)
    if reset:
        reset()
    out = layer.forward(x)
    r = rng.standard_normal(out.shape)

    def f():
        if reset:
            reset()
        return float(np.sum(layer.forward(x) * r))

    layer.zero_grad()
    if reset:
        reset()
    layer.forward(x)
    dx = layer.backward(r.copy())
    assert dx.shape == x.shape
    idx = sample_idx(x.size, rng, max_n)
    assert_close(np.asarray(dx).reshape(-1)[idx], numerical_grad(f, x, idx), "dx")
    grads = {k: g.copy() for k, g in layer.grads.items()}
    for name, p in layer.params.items():
        idx = sample_idx(p.size, rng, max_n)
        assert_close(grads[name].reshape(-1)[idx], numerical_grad(f, p, idx), name)

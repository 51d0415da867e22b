"""rowadam.c's walk (one Adam step for a batch's rows and the next batch's take, in one pass over
both in memory order) written with numba, to measure against the C on the same inputs
(bench/kernels.py). Same parts, same order of sums; no prefetching, which numba does not offer."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PARTS = 4
BLOCK_SHIFT = 4
NONE = np.iinfo(np.int64).max


@njit(inline="always")
def _step_row(w, m, v, r, g, d1, d2, step_size, bc2_sqrt, grad1, beta2, grad2, eps):
    for c in range(w.shape[1]):
        mc = m[r, c] * d1
        vc = v[r, c] * d2
        mc += grad1 * (g[c] - mc)
        vc = vc * beta2 + grad2 * g[c] * g[c]
        m[r, c] = mc
        v[r, c] = vc
        w[r, c] -= step_size * mc / (np.sqrt(vc) / bc2_sqrt + eps)


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def walk_rows(w, m, v, col_ptr, col_doc, col_x, grad_out, rows, decay1, decay2, adam,
              next_rows, coef, damp, next_ptr, next_doc, next_x, products):  # fmt: skip
    """walk_rows of rowadam.c: arrays, not addresses; adam is (step_size, bc2_sqrt, grad1, beta2,
    grad2, eps) as float32; products is (PARTS, next docs, h), summed into products[0]."""
    h = w.shape[1]
    n, next_n = rows.shape[0], next_rows.shape[0]
    step_size, bc2_sqrt, grad1 = adam[0], adam[1], adam[2]
    beta2, grad2, eps = adam[3], adam[4], adam[5]
    for p in prange(PARTS):
        out = products[p]
        out[:] = 0
        g = np.empty(h, dtype=np.float32)
        i = 0
        k = 0
        while i < n or k < next_n:
            r = rows[i] if i < n else NONE
            s = next_rows[k] if k < next_n else NONE
            mine = ((min(r, s) >> BLOCK_SHIFT) % PARTS) == p
            if r <= s:
                if mine:
                    g[:] = 0
                    for e in range(col_ptr[i], col_ptr[i + 1]):
                        x = col_x[e]
                        d = col_doc[e]
                        for c in range(h):
                            g[c] += x * grad_out[d, c]
                    _step_row(w, m, v, r, g, decay1[i], decay2[i], step_size, bc2_sqrt, grad1,
                              beta2, grad2, eps)  # fmt: skip
                i += 1
            if s <= r:
                if mine:
                    cf = coef[k]
                    if cf != 0:
                        e_ = damp[k]
                        for c in range(h):
                            w[s, c] -= cf * m[s, c] / (np.sqrt(v[s, c]) + e_)
                    for e in range(next_ptr[k], next_ptr[k + 1]):
                        x = next_x[e]
                        d = next_doc[e]
                        for c in range(h):
                            out[d, c] += x * w[s, c]
                k += 1
    for p in range(1, PARTS):
        products[0] += products[p]

"""Adam for a word table whose gradient holds only the rows a batch touched, equal to dense Adam."""

from __future__ import annotations

import math
import weakref

import numpy as np
import scipy.sparse as sp
import torch
from torch.optim.adam import adam

from textclf.kernels import available_cores


def _sqrt(v: torch.Tensor) -> torch.Tensor:
    """sqrt(v) for v >= 0. On this CPU torch's sqrt is ~8x slower on zeros (most of a rarely used
    word's moments), so zeros become 1e-30 first: 1e-15 against Adam's eps of 1e-8."""
    return torch.add(v, 1e-30).sqrt_()


def fused_adam_step(weights, grads, firsts, seconds, steps, settings) -> None:
    """One step of torch's fused Adam kernel, in place, as torch.optim.Adam(fused=True) takes it;
    settings carries lr, beta1, beta2 and eps."""
    adam(
        weights,
        grads,
        firsts,
        seconds,
        [],
        steps,
        fused=True,
        amsgrad=False,
        beta1=settings.beta1,
        beta2=settings.beta2,
        lr=settings.lr,
        weight_decay=0.0,
        eps=settings.eps,
        maximize=False,
    )


class RowAdam:
    """torch.optim.Adam's arithmetic on a (V, H) table, at a cost set by the rows each step touches.

    Dense Adam moves every row at every step: an untouched row's momentum decays and still pushes
    it. Touching all V rows per step is what makes the tutorial slow, so each row instead records
    the step it was last brought up to date. When a batch touches it again, or flush() is called
    before the table is read, the zero-gradient steps it skipped are applied at once in closed form:
    a skipped step s moves the row by lr * m0 / sqrt(v0) * gamma^(s - since) * bc(s), where
    gamma = beta1 / sqrt(beta2) and bc(s) = sqrt(1 - beta2^s) / (1 - beta1^s). The one departure
    from dense Adam: eps damps all skipped steps as it damps the first one (it matters only for
    gradients near 1e-8). Call take_rows() with a batch's words, run the forward pass on the rows
    it returns, then step_rows() with their gradient.

    The first `dense_rows` rows (put the most frequent words there) are stepped densely every
    step instead: a batch touches most of them anyway, and a contiguous block needs no gather,
    no catch-up and no scatter.
    """

    def __init__(
        self,
        param: torch.Tensor,
        lr: float,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        dense_rows: int = 0,
    ):
        beta1, beta2 = betas
        self.gamma = beta1 / math.sqrt(beta2)
        if not 0 <= self.gamma < 0.9999:
            raise ValueError("RowAdam needs beta1 < sqrt(beta2)")
        self.param, self.lr, self.beta1, self.beta2, self.eps = param, lr, beta1, beta2, eps
        self.m = torch.zeros_like(param)
        self.v = torch.zeros_like(param)
        self.last = torch.zeros(param.shape[0], dtype=torch.int64)  # step each row is current at
        self.t = 0
        self.dense_rows = min(dense_rows, param.shape[0])
        self._steps = [torch.zeros(()), torch.zeros(())]  # step counts as torch's Adam wants them
        # Skipped-step sums: window[n] is the sum over the n steps before `until`; a row stale for
        # more than `horizon` steps reads settled[since], the sum to where gamma^j underflows 1e-12.
        self.horizon = max(1, math.ceil(math.log(1e-12) / math.log(self.gamma)))
        self.powers = self.gamma ** np.arange(self.horizon + 1, dtype=np.float64)
        self.window = np.zeros(self.horizon + 1)
        self.settled = np.zeros(1024)
        self.until = 0

    def _bias_ratio(self, step: int) -> float:
        return math.sqrt(1 - self.beta2**step) / (1 - self.beta1**step)

    def _advance(self, until: int) -> None:
        while self.until < until:
            self.until += 1
            shifted = np.empty_like(self.window)
            shifted[0] = 0.0
            shifted[1:] = self.window[:-1] + self.powers[1:] * self._bias_ratio(self.until)
            self.window = shifted
            done = self.until - self.horizon  # the row stale since `done` has seen its full sum
            if done >= 0:
                if done >= self.settled.shape[0]:
                    self.settled = np.concatenate([self.settled, np.zeros_like(self.settled)])
                self.settled[done] = self.window[self.horizon]

    def _skipped_sums(self, since: np.ndarray, until: int) -> np.ndarray:
        self._advance(until)
        stale_for = until - since
        recent = stale_for <= self.horizon
        return np.where(
            recent,
            self.window[np.minimum(stale_for, self.horizon)],
            self.settled[np.where(recent, 0, since)],
        )

    def _skipped(self, w, m, v, since: torch.Tensor, until: int):
        """Moves rows w, in place, by the zero-gradient steps since+1..until; returns the factors
        (U, 1) by which those steps decay m and v."""
        sums = torch.from_numpy(self._skipped_sums(since.numpy(), until)).clamp_(min=1e-30)
        skipped = (until - since).to(torch.float64)
        # Each row moves by lr * sums * m0 / (sqrt(v0) + eps / scale): eps damps as dense Adam
        # damps the first skipped step (v barely moves over the skipped steps that count).
        # Written as m0 / (sqrt(v0) / sums + eps / (scale * sums)) to take two passes, not four.
        scale = torch.sqrt(self.beta2 / (1 - self.beta2 ** (since + 1).to(torch.float64)))
        denominator = torch.addcmul(
            (self.eps / (scale * sums)).to(w.dtype)[:, None],
            _sqrt(v),
            (1 / sums).to(w.dtype)[:, None],
        )
        w.addcdiv_(m, denominator, value=-self.lr)
        decay1 = (self.beta1**skipped).to(w.dtype)[:, None]
        decay2 = (self.beta2**skipped).to(w.dtype)[:, None]
        return decay1, decay2

    @torch.no_grad()
    def take_rows(self, words: torch.Tensor) -> torch.Tensor:
        """Current rows for the next forward pass: the dense block, then a copy of each of the
        given sorted, distinct word ids past it, ((dense_rows + words past it), H).

        Pass their gradient to step_rows(); together they read and write each row once.
        """
        dense = self.dense_rows
        rows = words[int(torch.searchsorted(words, dense)) :]  # the rest are in the dense block
        w = self.param.index_select(0, rows)
        m, v = self.m.index_select(0, rows), self.v.index_select(0, rows)
        decay1, decay2 = self._skipped(w, m, v, self.last.index_select(0, rows), self.t)
        self._taken = (rows, w, m, v, decay1, decay2)
        return torch.cat([self.param[:dense], w]) if dense else w

    @torch.no_grad()
    def step_rows(self, grad: torch.Tensor) -> None:
        """One Adam step for the rows of the last take_rows(), given their gradient."""
        rows, w, m, v, decay1, decay2 = self._taken
        self._taken = None
        dense = self.dense_rows
        m.mul_(decay1)  # the moments' decay over the skipped steps
        v.mul_(decay2)
        for step in self._steps:
            step.fill_(self.t)  # torch's Adam counts it up to t + 1 itself
        # torch's own fused Adam kernel: one vectorised pass over weights, gradient and moments,
        # in place on the dense block and on the copies of the other rows
        blocks = (
            [(self.param[:dense], grad[:dense], self.m[:dense], self.v[:dense])] if dense else []
        )
        blocks.append((w, grad[dense:], m, v))
        weights, grads, firsts, seconds = map(list, zip(*blocks, strict=True))
        fused_adam_step(weights, grads, firsts, seconds, self._steps[: len(blocks)], self)
        self.t += 1
        self.param.index_copy_(0, rows, w)
        self.m.index_copy_(0, rows, m)
        self.v.index_copy_(0, rows, v)
        self.last.index_fill_(0, rows, self.t)
        self.last[:dense] = self.t

    @torch.no_grad()
    def flush(self, block: int = 8192) -> None:
        """Brings every row up to the current step, as dense Adam would have it; a block of rows
        at a time, so its temporaries stay small beside a (V, H) table."""
        for start in range(0, self.param.shape[0], block):
            rows = slice(start, start + block)
            w, m, v = self.param[rows], self.m[rows], self.v[rows]  # views: updated in place
            decay1, decay2 = self._skipped(w, m, v, self.last[rows], self.t)
            m.mul_(decay1)
            v.mul_(decay2)
        self.last.fill_(self.t)


class DenseAdam:
    """torch.optim.Adam(fused=True)'s step for the network's small layers, as torch's own
    functional adam computes it for that optimiser: the same arithmetic without
    torch.optim.Optimizer, whose first construction in a process imports torch._dynamo
    (1.1 s and 72 MB here) for nothing this loop uses."""

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros(()) for _ in self.params]  # float32, as torch's fused Adam

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        fused_adam_step(
            [self.params[i] for i in live],
            [self.params[i].grad for i in live],
            [self.m[i] for i in live],
            [self.v[i] for i in live],
            [self.steps[i] for i in live],
            self,
        )


class NativeRowAdam(RowAdam):
    """RowAdam's arithmetic done by the C kernels of textclf/kernels.py: each row a batch reads
    is read from the table once and written once, with no dense block (a stale row is caught
    up in place when it is read). The batch is gathered from the training matrix there too, by
    word (CSC), so that the first layer's output and each word's gradient are summed while its
    row is at hand. Per batch: take_rows(docs) gives x @ rows, the first layer's output with
    its words' rows brought up to date; step_rows() takes that output's gradient, (batch, H),
    and may take the next batch in the same walk over the table. flush() as RowAdam's.

    threads: for the walk and the flush (None: every core); the results do not depend on it.
    """

    def __init__(self, param, kernels, matrix: sp.csr_matrix, lr: float, betas=(0.9, 0.999),
                 eps: float = 1e-8, threads: int | None = None):  # fmt: skip
        super().__init__(param, lr, betas, eps, dense_rows=0)
        if not (param.is_contiguous() and param.dtype == torch.float32):
            raise ValueError("NativeRowAdam needs a contiguous float32 table")
        if matrix.shape[1] != param.shape[0]:
            raise ValueError("the matrix needs a column per row of the table")
        self.kernels = kernels
        self.threads = threads or available_cores()
        self.matrix = csr_parts(matrix)
        self.lengths = np.diff(self.matrix[0])
        words = param.shape[0]
        self.marks = torch.zeros(words, dtype=torch.uint8)
        self.slot = torch.empty(words, dtype=torch.int32)
        self.listed = torch.empty(words, dtype=torch.int64)
        # addresses for the C calls, found once (a numpy array's takes a microsecond to find)
        a = _address
        self._table_at = (a(param), a(self.m), a(self.v))
        self._gather_at = (*(a(part) for part in self.matrix), words, a(self.marks),
                           a(self.slot), a(self.listed))  # fmt: skip
        self._last_at = a(self.last)
        self._parts = kernels.walk_parts()  # the walk's products come in this many slices
        self.beta_powers = (np.ones(0), np.ones(0))
        self._taken = None  # the batch the next step is for
        self._pending = None  # (docs, their CSC, the gather's join) of a batch gathered ahead

    def _power_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """beta1^k and beta2^k for k = 0 .. at least t + 1."""
        if self.beta_powers[0].size < self.t + 2:
            exponents = np.arange(max(1024, 2 * (self.t + 2)), dtype=np.float64)
            self.beta_powers = (self.beta1**exponents, self.beta2**exponents)
        return self.beta_powers

    @torch.no_grad()
    def take_rows(self, docs: np.ndarray, next_docs: np.ndarray | None = None) -> torch.Tensor:
        """x @ rows for the training matrix's rows `docs`, (docs, H): the first layer's output,
        from the rows of the words they hold, brought up to the current step.

        next_docs: the batch to be asked for next, gathered meanwhile on another core."""
        if self._taken is not None:  # its rows' moments still wait for their decay
            raise ValueError("take_rows() again before step_rows() for the batch taken")
        return self._walk(None, self._checked(docs), next_docs)

    @torch.no_grad()
    def step_rows(
        self,
        grad_out: torch.Tensor,
        next_docs: np.ndarray | None = None,
        after_next: np.ndarray | None = None,
    ) -> torch.Tensor | None:
        """One Adam step for the rows of the last take, given d(loss)/d(its output).

        With next_docs: also take_rows(next_docs, after_next) in the same walk over the table
        (a row both batches read is fetched once), returning its products."""
        if self._taken is None:
            raise ValueError("step_rows() needs a batch taken first")
        grad_out = grad_out.contiguous()
        if (
            grad_out.shape != (self._taken[1], self.param.shape[1])
            or grad_out.dtype != torch.float32
        ):
            raise ValueError("grad_out must be take_rows()'s output's gradient")  # C reads it
        docs = None if next_docs is None else self._checked(next_docs)
        return self._walk(grad_out, docs, after_next)

    def _walk(self, grad_out, docs, after) -> torch.Tensor | None:
        """The C walk: a step for the taken batch given grad_out (None: no step), and a take of
        docs (None: none); then after's gather started. Returns the take's products. (The C code
        gets addresses: every array they point into must have a name here until it returns.)"""
        a = _address
        h = self.param.shape[1]
        if grad_out is None:
            step, adam, this = self.t, (0.0,) * 6, (0, 0, 0, 0, 0, 0, 0, 0)
        else:
            (col_ptr, col_doc, col_x), _, rows, decay1, decay2 = self._taken
            step = self.t + 1
            adam = (
                self.lr / (1 - self.beta1**step), math.sqrt(1 - self.beta2**step),
                1 - self.beta1, self.beta2, 1 - self.beta2, self.eps,
            )  # fmt: skip
            this = (a(col_ptr), a(col_doc), a(col_x), a(grad_out), a(rows), rows.numel(),
                    a(decay1), a(decay2))  # fmt: skip
        self._taken = None
        self.t = step  # the next batch's rows are brought up to after this step
        products = None
        following = (0, 0, 0, 0, 0, 0, 0, 0, 0)
        if docs is not None:
            next_rows, batch = self._gathered(docs)
            coef, damp, next_decay1, next_decay2 = self._row_factors(next_rows, stamp=step + 1)
            products = torch.empty(self._parts, docs.size, h)
            following = (a(next_rows), next_rows.numel(), a(coef), a(damp),
                         *(a(part) for part in batch), a(products), docs.size)  # fmt: skip
            self._taken = (batch, docs.size, next_rows, next_decay1, next_decay2)
        self.kernels.walk_rows(*self._table_at, h, *this, *adam, *following, self.threads)
        if after is not None:  # on another core while the small layers run
            self._pending = self._gather_start(self._checked(after))
        return None if products is None else products[0]

    def _checked(self, docs: np.ndarray) -> np.ndarray:
        docs = np.ascontiguousarray(docs, dtype=np.int64)
        if docs.size and not 0 <= docs.min() <= docs.max() < self.lengths.size:
            raise IndexError("a doc outside the training matrix")  # C would read past it
        return docs

    def _gather_start(self, docs: np.ndarray) -> tuple:
        """docs' gather started on a thread of its own: (docs, CSC arrays, join), the join a
        finalizer so that the thread is joined before its arrays can go, whatever happens."""
        a = _address
        nnz = int(self.lengths[docs].sum())
        batch = (
            torch.empty(nnz + 1, dtype=torch.int64),
            torch.empty(nnz, dtype=torch.int32),
            torch.empty(nnz, dtype=torch.float32),
        )
        indptr_at, indices_at, data_at, words, *scratch_at = self._gather_at
        handle = self.kernels.gather_start(
            indptr_at, indices_at, data_at, a(docs), docs.size, words, *scratch_at,
            *(a(part) for part in batch),
        )  # fmt: skip
        if handle is None:
            raise MemoryError("no memory to gather a batch")
        arrays = (docs, batch, self.marks, self.slot, self.listed, self.matrix)
        return docs, batch, weakref.finalize(self, _join_gather, self.kernels, handle, arrays)

    def _gathered(self, docs: np.ndarray) -> tuple:
        """The batch's distinct rows (sorted) and its CSC (col_ptr, col_doc, col_x): gathered
        ahead if these docs were asked for, else now."""
        pending, self._pending = self._pending, None
        if pending is not None:
            n = pending[2]()  # joined: the next gather shares the marks and slots
            if np.array_equal(pending[0], docs):
                return self.listed[:n].clone(), pending[1]
        docs, batch, join = self._gather_start(docs)
        return self.listed[: join()].clone(), batch

    def _row_factors(self, rows: torch.Tensor, stamp: int) -> tuple[torch.Tensor, ...]:
        """Per row, float32 for the kernels: coef and damp to move it by the steps it skipped
        (see RowAdam), and its moments' decay over them; its last step becomes `stamp`."""
        a = _address
        self._advance(self.t)
        beta1_powers, beta2_powers = self._power_tables()
        n = rows.numel()
        factors = torch.empty(4, n)
        at = factors.data_ptr()
        self.kernels.row_factors(
            a(rows), n, self._last_at, self.t, stamp, a(self.window), self.horizon,
            a(self.settled), a(beta1_powers), a(beta2_powers), self.lr, self.eps, self.beta2,
            at, at + 4 * n, at + 8 * n, at + 12 * n,
        )  # fmt: skip
        return tuple(factors)

    @torch.no_grad()
    def flush(self, block: int = 65536) -> None:
        """RowAdam.flush, in place by the kernel, a block of rows at a time."""
        words, h = self.param.shape
        for start in range(0, words, block):
            stop = min(start + block, words)
            factors = self._row_factors(torch.arange(start, stop), stamp=self.t)
            self.kernels.catch_up(
                *self._table_at, h, start, stop, *(f.data_ptr() for f in factors), self.threads
            )


def _join_gather(kernels, handle: int, arrays: tuple) -> int:
    """The gather's thread joined, its rows counted; `arrays` (what it writes) kept till then."""
    return kernels.gather_finish(handle)


def _address(array) -> int:
    return array.data_ptr() if isinstance(array, torch.Tensor) else array.ctypes.data


def csr_parts(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X's CSR arrays as the kernels read them: int64 indptr, int32 indices, float32 data."""
    return (
        np.ascontiguousarray(X.indptr, dtype=np.int64),
        np.ascontiguousarray(X.indices, dtype=np.int32),
        np.ascontiguousarray(X.data, dtype=np.float32),
    )


@torch.no_grad()
def sparse_products(
    kernels, X: sp.csr_matrix | tuple, weight: torch.Tensor, rows: range | None = None
) -> torch.Tensor:
    """X[rows] @ weight (rows: a step-1 range, None: all), every core computing a share of them.
    X may be given as its csr_parts, made once for many calls."""
    indptr, indices, data = X if isinstance(X, tuple) else csr_parts(X)
    rows = range(indptr.size - 1) if rows is None else rows
    weight = weight.contiguous()
    out = torch.empty(len(rows), weight.shape[1])
    a = _address
    kernels.sparse_products(
        a(indptr) + rows.start * indptr.itemsize, a(indices), a(data), len(rows), a(weight),
        weight.shape[1], a(out), available_cores(),
    )  # fmt: skip
    return out

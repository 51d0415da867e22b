"""NativeRowAdam: RowAdam in rowadam.c's kernels, each row read and written once (PyTorch's ops: a
gather, a dozen passes, a scatter), its output and gradient sums made while it is at hand. Steps
are deferred into the next read's walk (shared rows fetched once); the next batch gathers ahead.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import scipy.sparse as sp
import torch

from textclf.fast.native.kernels import address, check_columns, checked_table, csr_parts
from textclf.fast.optim import RowAdam
from textclf.fast.threads import available_cores
from textclf.learn.batches import Posts
from textclf.learn.model import MLP


class NativeRowAdam(RowAdam):
    """RowAdam whose table work is done in C, for a model trained on `matrix`'s rows. The table's
    gradient is never made: the kernel sums each row's share from the output's (a tensor hook)
    as it steps it. threads: for the walk and the flush (None: every core); results do not vary.
    """

    backend = "C kernels (row-wise Adam)"

    def __init__(self, model: MLP, kernels, matrix: sp.csr_matrix, lr: float,
                 betas=(0.9, 0.999), eps: float = 1e-8, threads: int | None = None):  # fmt: skip
        super().__init__(model, lr, betas, eps, dense_rows=0)
        table = checked_table(self.table.data, matrix.shape[1])
        self.kernels, self.source = kernels, matrix
        self.threads = threads or available_cores()
        self.matrix = csr_parts(matrix)
        check_columns(self.matrix[1], matrix.shape[1])  # once: batches are its rows
        self.lengths = np.diff(self.matrix[0])
        words = table.shape[0]
        self.marks = torch.zeros(words, dtype=torch.uint8)
        self.slot = torch.empty(words, dtype=torch.int32)
        self.listed = torch.empty(words, dtype=torch.int64)
        a = address  # addresses for the C calls, found once
        self._table_at = (a(table), a(self.m), a(self.v))
        self._gather_at = (*(a(part) for part in self.matrix), words, a(self.marks),
                           a(self.slot), a(self.listed))  # fmt: skip
        self._last_at = a(self.last)
        self._parts = kernels.walk_parts()  # the walk's products come in this many slices
        self._grad_out = None  # d(loss)/d(the last batch's output), from autograd
        self._deferred = None  # a step the next forward pass carries out
        self._pending = None  # (docs, their CSC, the gather's join) of a batch gathered ahead

    @torch.no_grad()
    def _before_read(self, posts: Posts, training: bool) -> None:
        """A training batch: the deferred step and this batch's read in one walk, its product
        handed to the layer (posts.products); anything else: the table brought up to date."""
        if self._taken is not None and self._deferred is None:
            raise RuntimeError("optimizer.step() must follow each training forward pass")
        if not training:
            self.flush()
            return
        if posts.matrix is not self.source:
            raise ValueError("NativeRowAdam trains on the rows of the matrix it was given")
        products = self._walk(self._deferred, self._checked(posts.docs), posts.following)
        products.requires_grad_()
        products.register_hook(self._keep_gradient)
        posts.products = products
        self.current = False

    def _keep_gradient(self, grad: torch.Tensor) -> None:
        self._grad_out = grad

    @torch.no_grad()
    def step(self, closure=None):
        self._step_small_layers()
        if self._grad_out is not None:
            grad_out, self._grad_out = self._grad_out.contiguous(), None
            if grad_out.shape != (self._taken[1], self.table.shape[1]) or (
                grad_out.dtype != torch.float32
            ):
                raise ValueError("the gradient is not of the batch the table last read")
            self._deferred = grad_out  # stepped by the next forward pass, in its walk
        return None

    def _walk(self, grad_out, docs, after) -> torch.Tensor | None:
        """The C walk: a step for the taken batch given grad_out (None: no step), and a take of
        docs (None: none); then after's gather started. Returns the take's products. (The C code
        gets addresses: every array they point into must have a name here until it returns.)"""
        a = address
        h = self.table.shape[1]
        self._deferred = None
        if grad_out is None:
            step, adam, this = self.t, (0.0,) * 6, (0, 0, 0, 0, 0, 0, 0, 0)
        else:
            (col_ptr, col_doc, col_x), _, rows, decay1, decay2 = self._taken
            step = self.t + 1
            group = self.param_groups[0]
            lr, eps, (beta1, beta2) = group["lr"], group["eps"], group["betas"]
            adam = (lr / (1 - beta1**step), math.sqrt(1 - beta2**step), 1 - beta1, beta2,
                    1 - beta2, eps)  # fmt: skip
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

    def _checked(self, docs) -> np.ndarray:
        docs = np.ascontiguousarray(docs, dtype=np.int64)
        if docs.ndim != 1 or docs.size and not 0 <= docs.min() <= docs.max() < self.lengths.size:
            raise ValueError("a post outside the training matrix")  # C would read past it
        return docs

    def _gather_start(self, docs: np.ndarray) -> tuple:
        """docs' gather started on a thread of its own: (docs, CSC arrays, join), the join a
        finalizer so that the thread is joined before its arrays can go, whatever happens."""
        a = address
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
        (see SkippedSteps), and its moments' decay over them; its last step becomes `stamp`."""
        if (
            rows.dtype != torch.int64
            or rows.numel()
            and not (0 <= int(rows.min()) and int(rows.max()) < self.last.numel())
        ):
            raise ValueError("rows outside the word table")
        skipped = self.skipped
        skipped.advance(self.t)
        beta1_powers, beta2_powers = skipped.beta_powers(self.t)
        group = self.param_groups[0]
        n = rows.numel()
        factors = torch.empty(4, n)
        at = factors.data_ptr()
        self.kernels.row_factors(
            address(rows), n, self._last_at, self.t, stamp, address(skipped.window),
            skipped.horizon, address(skipped.settled), address(beta1_powers),
            address(beta2_powers), group["lr"], group["eps"], group["betas"][1],
            at, at + 4 * n, at + 8 * n, at + 12 * n,
        )  # fmt: skip
        return tuple(factors)

    @torch.no_grad()
    def flush(self, block: int = 65536) -> None:
        """The deferred step taken, then RowAdam.flush, in place by the kernel, a block of rows
        at a time: what any read through the module (an evaluation, state_dict) sees."""
        if self._deferred is not None:
            self._walk(self._deferred, None, None)
        if self.current:
            return
        words, h = self.table.shape
        for start in range(0, words, block):
            stop = min(start + block, words)
            factors = self._row_factors(torch.arange(start, stop), stamp=self.t)
            self.kernels.catch_up(
                *self._table_at, h, start, stop, *(f.data_ptr() for f in factors), self.threads
            )
        self.current = True


def _join_gather(kernels, handle: int, arrays: tuple) -> int:
    """The gather's thread joined, its rows counted; `arrays` (what it writes) kept till then."""
    return kernels.gather_finish(handle)

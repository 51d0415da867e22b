"""Row-wise optimisers for the MLP (fast.optimizers picks one). torch.optim.Adam moves every row
of the first layer's (vocabulary, hidden) table each step, though a batch touches about a tenth:
the tutorial's slowness (bench/README.md). RowAdam gives the same numbers touching only those.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import scipy.sparse as sp
import torch
from torch.optim.adam import adam

from textclf.learn.batches import Posts
from textclf.learn.model import MLP, sparse_matmul

DENSE_ROWS = 4096  # the most frequent words, stepped as one block, when the posts are unknown
IN_BATCH = 0.2  # a word in at least this share of batches is stepped with the block


def dense_rows(matrix: sp.csr_matrix, batch_size: int) -> int:
    """How many rows RowAdam steps as one block: the words a batch holds at least one time in five
    (first, as fit_features orders columns). A block row costs a fused pass every step; any other a
    gather, catch-up and scatter when read; this beat a fixed 4,096 rows (bench/README.md)."""
    posts = max(matrix.shape[0], 1)
    share = np.bincount(matrix.indices, minlength=matrix.shape[1]) / posts  # posts per word
    in_batch = 1 - (1 - np.minimum(share, 1)) ** min(batch_size, posts)
    return int(np.count_nonzero(in_batch >= IN_BATCH))


def fused_adam_step(weights, grads, firsts, seconds, steps, lr, beta1, beta2, eps) -> None:
    """One step of torch's fused Adam kernel, in place, as torch.optim.Adam(fused=True) takes it."""
    adam(weights, grads, firsts, seconds, [], steps, fused=True, amsgrad=False, beta1=beta1,
         beta2=beta2, lr=lr, weight_decay=0.0, eps=eps, maximize=False)  # fmt: skip


class SkippedSteps:
    """The closed form of the Adam steps a row takes at zero gradient, which still move it (m and v
    decay): step s adds lr * m0 / sqrt(v0) * gamma^(s - since) * bc(s), gamma = beta1 / sqrt(beta2),
    bc(s) = sqrt(1 - beta2^s) / (1 - beta1^s); sums(since, until): their sum over since+1..until.
    """

    def __init__(self, beta1: float, beta2: float):
        self.beta1, self.beta2 = beta1, beta2
        self.gamma = beta1 / math.sqrt(beta2)
        if not 0 <= self.gamma < 0.9999:
            raise ValueError("row-wise Adam needs beta1 < sqrt(beta2)")
        self.horizon = max(1, math.ceil(math.log(1e-12) / math.log(self.gamma)))
        self.powers = self.gamma ** np.arange(self.horizon + 1, dtype=np.float64)
        # window[n]: the sum over the last n <= horizon steps; past the horizon (gamma^n < 1e-12),
        # settled[since], the sum no later step changes
        self.window = np.zeros(self.horizon + 1)
        self.settled = np.zeros(1024)
        self.until = 0
        self._beta_powers = (np.ones(0), np.ones(0))

    def beta_powers(self, until: int) -> tuple[np.ndarray, np.ndarray]:
        """beta1^k and beta2^k for k = 0 .. at least until + 1: looked up, not raised, per row."""
        if self._beta_powers[0].size < until + 2:
            exponents = np.arange(max(1024, 2 * (until + 2)), dtype=np.float64)
            self._beta_powers = (self.beta1**exponents, self.beta2**exponents)
        return self._beta_powers

    def advance(self, until: int) -> None:
        while self.until < until:
            self.until += 1
            bias = math.sqrt(1 - self.beta2**self.until) / (1 - self.beta1**self.until)
            shifted = np.empty_like(self.window)
            shifted[0] = 0.0
            shifted[1:] = self.window[:-1] + self.powers[1:] * bias
            self.window = shifted
            done = self.until - self.horizon  # the row stale since `done` has seen its full sum
            if done >= 0:
                if done >= self.settled.shape[0]:
                    self.settled = np.concatenate([self.settled, np.zeros_like(self.settled)])
                self.settled[done] = self.window[self.horizon]

    def sums(self, since: np.ndarray, until: int) -> np.ndarray:
        self.advance(until)
        stale_for = until - since
        recent = stale_for <= self.horizon
        return np.where(
            recent,
            self.window[np.minimum(stale_for, self.horizon)],
            self.settled[np.where(recent, 0, since)],
        )


class RowAdam(torch.optim.Optimizer):
    """torch.optim.Adam(fused=True) for an MLP, equal step for step, stepping only the word table's
    rows a batch touched; the rest catch up in closed form (SkippedSteps) before a read, eps damping
    them as the first (off only near 1e-8). The `dense_rows` commonest rows step as one block.
    """

    backend = "PyTorch (row-wise Adam)"

    def __init__(self, model: MLP, lr: float, betas=(0.9, 0.999), eps=1e-8, dense_rows=DENSE_ROWS):
        super().__init__(model.parameters(), dict(lr=lr, betas=betas, eps=eps))
        self.layer, self.table = model.first, model.first.weight
        self.skipped = SkippedSteps(*betas)
        self.m, self.v = torch.zeros_like(self.table), torch.zeros_like(self.table)
        self.last = torch.zeros(self.table.shape[0], dtype=torch.int64)  # each row is current at
        self.t = 0
        self.dense_rows = min(dense_rows, self.table.shape[0])
        self.current = True  # every row is up to date
        self._taken = None  # rows read by the last forward pass, with their moments' decay
        self._rows = None  # the dense block, and those rows: the leaves the forward pass read
        words = self.table.shape[0]
        self.marks = np.zeros(words, dtype=bool)  # scratch: the words a batch holds
        self.place = torch.zeros(words, dtype=torch.int32)  # a word's place among those rows
        hook_layer(self)

    @torch.no_grad()
    def _before_read(self, posts: Posts, training: bool) -> None:
        """Before the layer reads a training batch: its rows brought up to date, and the layer's
        product made from them and the block (posts.products; their gradients come to `_rows`).
        Before any other read (an evaluation): the whole table brought up to date."""
        if self._taken is not None:
            raise RuntimeError("optimizer.step() must follow each training forward pass")
        if not training:
            self.flush()
            return
        dense, X = self.dense_rows, posts.rows
        rows, since = self._batch_rows(X.indices)
        stale = int((since < self.t).sum())  # rows the last step read are up to date already
        w, m, v = (state.index_select(0, rows) for state in (self.table, self.m, self.v))
        decay = self._skip(w[:stale], m[:stale], v[:stale], since[:stale])
        self._taken = (rows, w, m, v, stale, *decay)
        self.place[rows] = torch.arange(rows.numel(), dtype=self.place.dtype)
        in_block, past_block = _split_columns(X, dense, self.place.numpy(), rows.numel())
        block = self.table[:dense].detach().requires_grad_()  # read in place
        self._rows = (block, w.requires_grad_())
        with torch.enable_grad():
            posts.products = sparse_matmul(in_block, block) + sparse_matmul(past_block, w)
        self.current = False

    def _batch_rows(self, words: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The distinct rows past the dense block that a batch's words read, those the last step
        did not read first (each part in order), with the step each is up to date at."""
        self.marks[words] = True
        rows = torch.from_numpy(np.flatnonzero(self.marks[self.dense_rows :]) + self.dense_rows)
        self.marks[words] = False
        since = self.last.index_select(0, rows)
        fresh = since == self.t
        order = torch.cat([torch.nonzero(~fresh)[:, 0], torch.nonzero(fresh)[:, 0]])
        return rows[order], since[order]

    def _skip(self, w, m, v, since: torch.Tensor):
        """Moves rows w, in place, by the zero-gradient steps since+1..t; returns the factors
        (rows, 1) by which those steps decay m and v."""
        group = self.param_groups[0]
        lr, eps, beta2 = group["lr"], group["eps"], self.skipped.beta2
        since = since.numpy()
        sums = np.maximum(self.skipped.sums(since, self.t), 1e-30)
        beta1_powers, beta2_powers = self.skipped.beta_powers(self.t)
        # Each row moves by lr * sums * m0 / (sqrt(v0) + eps / scale): eps damps as dense Adam
        # damps the first skipped step (v barely moves over the skipped steps that count).
        # Written as m0 / (sqrt(v0) / sums + eps / (scale * sums)) to take two passes, not four.
        scale = np.sqrt(beta2 / (1 - beta2_powers[since + 1]))
        denominator = torch.addcmul(
            _column(eps / (scale * sums), w), _sqrt(v), _column(1 / sums, w)
        )
        w.addcdiv_(m, denominator, value=-lr)
        skipped = self.t - since
        return _column(beta1_powers[skipped], w), _column(beta2_powers[skipped], w)

    @torch.no_grad()
    def step(self, closure=None):
        self._step_small_layers()
        if self._taken is not None and any(leaf.grad is not None for leaf in self._rows):
            grads = [torch.zeros_like(x) if x.grad is None else x.grad for x in self._rows]
            self._step_rows(*grads)  # a part the batch did not read: a zero gradient
        return None

    def _step_small_layers(self) -> None:
        group = self.param_groups[0]
        live = [p for p in group["params"] if p is not self.table and p.grad is not None]
        if not live:
            return
        states = [self._state(p) for p in live]
        fused_adam_step(live, [p.grad for p in live], *_columns(states), group["lr"],
                        *group["betas"], group["eps"])  # fmt: skip

    def _state(self, p: torch.Tensor) -> dict:
        if not self.state[p]:
            self.state[p].update(
                step=torch.zeros(()), exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p)
            )
        return self.state[p]

    def _step_rows(self, block_grad: torch.Tensor, grad: torch.Tensor) -> None:
        """One Adam step of the dense block and of the rows the last forward pass read, in the
        order they were taken, given their gradients."""
        rows, w, m, v, stale, decay1, decay2 = self._taken
        self._taken = self._rows = None
        dense = self.dense_rows
        m[:stale].mul_(decay1)  # the moments' decay over the skipped steps
        v[:stale].mul_(decay2)
        group = self.param_groups[0]
        steps = [torch.full((), float(self.t)), torch.full((), float(self.t))]  # Adam adds 1
        fused_adam_step(
            [self.table[:dense], w], [block_grad, grad], [self.m[:dense], m],
            [self.v[:dense], v], steps, group["lr"], *group["betas"], group["eps"],
        )  # fmt: skip
        self.t += 1
        for state, taken in ((self.table, w), (self.m, m), (self.v, v)):
            _copy_rows(state, rows, taken)
        self.last.index_fill_(0, rows, self.t)
        self.last[:dense] = self.t

    @torch.no_grad()
    def flush(self, block: int = 8192) -> None:
        """Brings every row up to the current step, as dense Adam would have it; a block of rows
        at a time, so its temporaries stay small beside a (V, H) table."""
        if self.current:
            return
        for start in range(0, self.table.shape[0], block):
            rows = slice(start, start + block)
            w, m, v = self.table[rows], self.m[rows], self.v[rows]  # views: updated in place
            decay1, decay2 = self._skip(w, m, v, self.last[rows])
            m.mul_(decay1)
            v.mul_(decay2)
        self.last.fill_(self.t)
        self.current = True


def hook_layer(optimizer) -> None:
    """Calls optimizer._before_read before each forward pass of its word layer, and flushes the
    rows it keeps lazily before the layer's state_dict is read, for as long as the optimiser
    lives (weakly held: a trained model must not keep its moments, twice the table, alive)."""
    alive = weakref.ref(optimizer)

    def before_read(layer, inputs):
        if (live := alive()) is not None:
            live._before_read(inputs[0], training=layer.training and torch.is_grad_enabled())

    def before_state_dict(layer, prefix, keep_vars):
        if (live := alive()) is not None:
            live.flush()

    handles = (optimizer.layer.register_forward_pre_hook(before_read),
               optimizer.layer.register_state_dict_pre_hook(before_state_dict))  # fmt: skip
    weakref.finalize(optimizer, lambda: [handle.remove() for handle in handles])


def _split_columns(X: sp.csr_matrix, dense: int, place: np.ndarray, rows: int):
    """X's entries in the first `dense` columns, and the others with column j renumbered
    place[j] (of `rows`): two CSR matrices, for the block and for the rows taken."""
    in_block = X.indices < dense
    before = np.zeros(X.indices.size + 1, dtype=X.indptr.dtype)
    np.cumsum(in_block, out=before[1:])  # entries in the block before each entry
    starts = before[X.indptr]
    past = ~in_block
    return (
        sp.csr_matrix((X.data[in_block], X.indices[in_block], starts), (X.shape[0], dense)),
        sp.csr_matrix(
            (X.data[past], place[X.indices[past]], X.indptr - starts), (X.shape[0], rows)
        ),
    )


def _copy_rows(table: torch.Tensor, rows: torch.Tensor, source: torch.Tensor) -> None:
    """table.index_copy_(0, rows, source). Torch's CPU kernel copies element by element: seen as
    complex128, four float32s an element, the rows copy in a quarter of the steps, faster
    (bench/README.md). Bits are copied, never read as numbers."""
    wide = torch.complex128
    if (
        table.dtype == source.dtype == torch.float32
        and table.shape[-1] % 4 == 0
        and table.is_contiguous()
        and source.is_contiguous()
        and table.data_ptr() % 16 == source.data_ptr() % 16 == 0
    ):
        table, source = table.view(wide), source.view(wide)
    table.index_copy_(0, rows, source)


def _column(values: np.ndarray, rows: torch.Tensor) -> torch.Tensor:
    """Per-row factors, float64 in numpy, as a column in rows' dtype that multiplies them."""
    return torch.from_numpy(values).to(rows.dtype)[:, None]


def _columns(states: list[dict]) -> tuple[list, list, list]:
    return (
        [s["exp_avg"] for s in states],
        [s["exp_avg_sq"] for s in states],
        [s["step"] for s in states],
    )


def _sqrt(v: torch.Tensor) -> torch.Tensor:
    """sqrt(v) for v >= 0. On this CPU torch's sqrt is ~8x slower on zeros (most of a rarely used
    word's moments), so zeros become 1e-30 first: 1e-15 against Adam's eps of 1e-8."""
    return torch.add(v, 1e-30).sqrt_()

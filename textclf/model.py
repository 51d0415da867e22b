"""The tutorial's bag-of-words MLP, with a first layer that reads sparse rows directly."""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

# CSR matmul is all we use of torch's beta sparse support, and tests check it against nn.Linear.
warnings.filterwarnings(
    "ignore", message="Sparse CSR tensor support is in beta", category=UserWarning
)


def to_csr_tensor(X: sp.csr_matrix) -> torch.Tensor:
    """A scipy CSR matrix as a torch CSR tensor sharing its values; never densified."""
    X = sp.csr_matrix(X)
    return torch.sparse_csr_tensor(
        torch.from_numpy(X.indptr.astype(np.int64, copy=False)),
        torch.from_numpy(X.indices.astype(np.int64, copy=False)),
        torch.from_numpy(X.data.astype(np.float32, copy=False)),
        size=X.shape,
        check_invariants=False,  # scipy built these arrays; checking costs O(nnz) per batch
    )


class _SparseMatmul(torch.autograd.Function):
    """x @ weight for sparse x; the gradient x.T @ grad uses a transpose built once, in CSR."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, x: torch.Tensor, x_t: torch.Tensor | None):
        ctx.x, ctx.x_t = x, x_t
        return x @ weight  # (rows, H)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x_t = ctx.x_t if ctx.x_t is not None else ctx.x.t().to_sparse_csr()
        return x_t @ grad, None, None  # (V or words, H): only the rows the batch read


class SparseLinear(nn.Module):
    """nn.Linear(vocabulary, out) on sparse input: the same outputs and gradients, costs O(nnz).

    The weight is stored transposed, (vocabulary, out), a row per word, so a batch reads only the
    rows of its words. Training passes those rows alone as `rows` (with the batch's word ids
    renumbered into them), so the gradient is (words in batch, out), never (vocabulary, out).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))  # (V, H)
        self.bias = nn.Parameter(torch.empty(out_features))
        # nn.Linear's initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
        bound = 1 / math.sqrt(in_features) if in_features else 0
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(
        self, x: torch.Tensor, rows: torch.Tensor | None = None, x_t: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x: CSR (batch, V), or (batch, words) renumbered into `rows`; x_t: its transpose."""
        weight = self.weight if rows is None else rows
        return _SparseMatmul.apply(weight, x, x_t) + self.bias


class SeededDropout(nn.Dropout):
    """nn.Dropout drawing its masks from a generator of its own: a session's training is then
    untouched by others drawing from torch's global generator in other threads. The same masks
    as nn.Dropout's for the same generator state (bernoulli_, then scaled, as ATen does)."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or x.numel() == 0:
            return x
        if self.p == 1:
            return x * 0
        noise = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * noise.div_(1 - self.p)


class MLP(nn.Module):
    """SparseLinear, then (ReLU, Dropout, Linear) per further hidden layer, then the classifier."""

    def __init__(
        self,
        vocabulary_size: int,
        classes: int,
        hidden: int = 100,
        layers: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.first = SparseLinear(vocabulary_size, hidden)
        body: list[nn.Module] = []
        for _ in range(layers - 1):
            body += [nn.ReLU(), SeededDropout(dropout), nn.Linear(hidden, hidden)]
        body += [nn.ReLU(), SeededDropout(dropout)]
        self.body = nn.Sequential(*body)
        self.head = nn.Linear(hidden, classes)

    def draw_dropout_from(self, generator: torch.Generator) -> None:
        for module in self.modules():
            if isinstance(module, SeededDropout):
                module.generator = generator

    def hidden_activations(self, x: torch.Tensor, rows=None, x_t=None) -> torch.Tensor:
        """The last hidden layer's output, (batch, hidden)."""
        return self.body(self.first(x, rows, x_t))

    def forward(self, x: torch.Tensor, rows=None, x_t=None) -> torch.Tensor:
        """Logits (batch, classes); see SparseLinear.forward for rows and x_t."""
        return self.head(self.hidden_activations(x, rows, x_t))

    def logits_from_products(self, products: torch.Tensor) -> torch.Tensor:
        """Logits given x @ first.weight computed by the caller (training's C kernels read and
        step the word table themselves, so autograd stops at the product)."""
        return self.head(self.body(products + self.first.bias))

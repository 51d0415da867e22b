"""The tutorial's bag-of-words MLP, whose first layer reads a batch of posts as sparse rows."""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from textclf import native
from textclf.batches import Posts

# CSR matmul is all we use of torch's beta sparse support, and tests check it against nn.Linear.
warnings.filterwarnings(
    "ignore", message="Sparse CSR tensor support is in beta", category=UserWarning
)

ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


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
    def forward(ctx, weight: torch.Tensor, x: torch.Tensor, x_t: torch.Tensor):
        ctx.x_t = x_t
        return x @ weight  # (rows, out)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return ctx.x_t @ grad, None, None  # (x's columns, out): zero where x has no entry


def sparse_matmul(X: sp.csr_matrix, weight: torch.Tensor) -> torch.Tensor:
    """X @ weight for a scipy CSR X, with its gradient for weight; never densified."""
    return _SparseMatmul.apply(weight, to_csr_tensor(X), to_csr_tensor(X.T))


class WordLayer(nn.Module):
    """nn.Linear(vocabulary, out) for bag-of-words posts: the same outputs and gradients, at a
    cost set by the words in a batch rather than by the vocabulary.

    The weight is stored transposed, (vocabulary, out), a row per word, as nn.EmbeddingBag stores
    it, so that a batch reads only its words' rows. Its gradient is the full (vocabulary, out)
    table any torch optimiser steps, zero in the rows the batch does not hold.
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

    def forward(self, posts: Posts) -> torch.Tensor:
        """(posts, out). An optimiser that keeps the table's rows up to date itself (RowAdam) has
        made the product as it brought the batch's rows up to date (a forward pre-hook), from
        those rows alone: posts.products, whose gradient it then takes."""
        if posts.products is not None:
            products = posts.products
        elif torch.is_grad_enabled():
            products = sparse_matmul(posts.rows, self.weight)
        else:  # no gradient to keep: the native kernel, where one is built, reads rows in place
            products = native.products(posts.matrix, posts.docs, self.weight)
            if products is None:
                products = to_csr_tensor(posts.rows) @ self.weight
        return products + self.bias


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
    """WordLayer, then (activation, Dropout, Linear) per further hidden layer, then the
    classifier: the tutorial's Linear 100, ReLU, Linear 100, ReLU, Linear by default."""

    def __init__(
        self,
        vocabulary_size: int,
        classes: int,
        hidden: int = 100,
        layers: int = 2,
        dropout: float = 0.0,
        activation: str = "relu",
    ):
        super().__init__()
        self.first = WordLayer(vocabulary_size, hidden)
        body: list[nn.Module] = []
        for _ in range(layers - 1):
            body += [
                ACTIVATION_MODULES[activation](),
                SeededDropout(dropout),
                nn.Linear(hidden, hidden),
            ]
        body += [ACTIVATION_MODULES[activation](), SeededDropout(dropout)]
        self.body = nn.Sequential(*body)
        self.head = nn.Linear(hidden, classes)

    def draw_dropout_from(self, generator: torch.Generator) -> None:
        for module in self.modules():
            if isinstance(module, SeededDropout):
                module.generator = generator

    def hidden_activations(self, posts: Posts) -> torch.Tensor:
        """The last hidden layer's output, (posts, hidden)."""
        return self.body(self.first(posts))

    def forward(self, posts: Posts) -> torch.Tensor:
        """Logits, (posts, classes)."""
        return self.head(self.hidden_activations(posts))

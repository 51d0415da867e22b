"""The tutorial's bag-of-words MLP, whose first layer reads a batch of posts as sparse rows."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from textclf.learn.batches import Posts

ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def bags(X: sp.spmatrix, rows: range | None = None) -> tuple[torch.Tensor, ...]:
    """X's rows (a step-1 range of them, read in place) as nn.EmbeddingBag reads bags: every
    entry's column, where each row's entries start, and the entries as per-sample weights.
    Given a CSC matrix, its columns: the bags of X's transpose."""
    start, stop = (rows.start, rows.stop) if rows is not None else (0, X.indptr.size - 1)
    if rows is not None and not (rows.step == 1 and 0 <= start <= stop < X.indptr.size):
        raise ValueError("rows must be a step-1 range of the matrix's rows")
    begin, end = X.indptr[start], X.indptr[stop]
    indices, offsets = X.indices[begin:end], X.indptr[start:stop] - begin
    if indices.dtype != offsets.dtype:
        indices, offsets = indices.astype(np.int64), offsets.astype(np.int64)
    weights = X.data[begin:end].astype(np.float32, copy=False)
    return torch.from_numpy(indices), torch.from_numpy(offsets), torch.from_numpy(weights)


def bag_sum(bags_of_x: tuple[torch.Tensor, ...], table: torch.Tensor) -> torch.Tensor:
    """x @ table for the sparse x that bags_of_x describes: each bag's rows of the table,
    weighted and summed, as nn.EmbeddingBag(mode="sum") does it (2-3x torch's CSR matmul)."""
    indices, offsets, weights = bags_of_x
    return F.embedding_bag(indices, table, offsets, mode="sum", per_sample_weights=weights)


class _WordProducts(torch.autograd.Function):
    """posts @ weight for sparse posts; its gradient posts.T @ grad is the same sum over the
    posts' transpose, made only when a backward pass asks for it."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, posts: Posts):
        ctx.posts = posts
        return bag_sum(_bags_of(posts), weight)  # (posts, out)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        # (posts' columns, out): zero where the posts have none
        return bag_sum(bags(ctx.posts.rows.tocsc()), grad), None


def _bags_of(posts: Posts) -> tuple[torch.Tensor, ...]:
    """The posts' bags, read in place from the whole matrix for a run of rows (an evaluation's
    chunk), else from the batch's own rows."""
    if isinstance(posts.docs, range) and posts.docs.step == 1:
        return bags(posts.matrix, posts.docs)
    return bags(posts.rows)


def sparse_matmul(X: sp.csr_matrix, weight: torch.Tensor) -> torch.Tensor:
    """X @ weight for a scipy CSR X, with its gradient for weight; never densified."""
    return _WordProducts.apply(weight, Posts.every(X))


class WordLayer(nn.Module):
    """nn.Linear(vocabulary, out) for bag-of-words posts, the same outputs and gradients at a cost
    set by a batch's words. The weight is stored transposed, a row per word (as nn.EmbeddingBag),
    so a batch reads its words' rows; its gradient, the full table, is zero in rows it lacks.
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
        made the product as it brought the batch's rows up to date, from those rows alone
        (posts.products, whose gradient it then takes)."""
        if posts.products is None:
            return _WordProducts.apply(self.weight, posts) + self.bias
        return posts.products + self.bias


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

    @classmethod
    def from_config(cls, config, vocabulary_size: int, classes: int) -> MLP:
        """The network a TrainConfig describes, for a vocabulary and a number of classes."""
        return cls(vocabulary_size, classes, config.hidden, config.layers, config.dropout,
                   config.activation)  # fmt: skip

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

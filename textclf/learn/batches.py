"""Batches of posts as the network reads them: rows of a sparse bag-of-words matrix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import torch

EVALUATION_CHUNK = 4096  # posts per forward pass when nothing is learned (budget.py counts it)


@dataclass(eq=False)
class Posts:
    """Rows `docs` of a bag-of-words matrix (posts x vocabulary), in order: the whole matrix and row
    numbers, not a copy, so an optimiser with a faster way (fast.native) reads them in place;
    `following` names the next batch's rows, so such an optimiser can start on them early."""

    matrix: sp.csr_matrix
    docs: np.ndarray | range
    following: np.ndarray | None = None
    products: torch.Tensor | None = None  # posts @ the word table, if an optimiser made it

    @classmethod
    def every(cls, matrix: sp.csr_matrix) -> Posts:
        return cls(matrix, range(matrix.shape[0]))

    @classmethod
    def chunks(cls, matrix: sp.csr_matrix, size: int = EVALUATION_CHUNK) -> Iterator[Posts]:
        """Every row in order, size rows at a time: how an evaluation reads a matrix, so that
        its activations stay bounded whatever the number of posts."""
        rows = matrix.shape[0]
        for start in range(0, rows, size):
            yield cls(matrix, range(start, min(start + size, rows)))

    def __len__(self) -> int:
        return len(self.docs)

    @cached_property
    def rows(self) -> sp.csr_matrix:
        """The batch itself, (posts, vocabulary): the matrix, if it is every row of it."""
        if isinstance(self.docs, range) and self.docs == range(self.matrix.shape[0]):
            return self.matrix
        if isinstance(self.docs, range) and self.docs.step == 1:
            return self.matrix[self.docs.start : self.docs.stop]
        return self.matrix[np.asarray(self.docs)]

    @cached_property
    def words(self) -> np.ndarray:
        """The distinct word ids the batch holds, sorted: the only rows of the word table that
        its forward pass reads and its backward pass gives a gradient."""
        rows = self.rows
        return np.flatnonzero(np.bincount(rows.indices, minlength=rows.shape[1]))


class Batches:
    """A matrix's rows with their labels in shuffled batches, a new order every epoch, like a
    DataLoader with shuffle=True; seeded, so a run can be repeated exactly."""

    def __init__(self, matrix: sp.csr_matrix, labels: np.ndarray, batch_size: int, seed: int):
        self.matrix, self.batch_size = matrix, batch_size
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        self.shuffle = np.random.default_rng(seed)

    def __len__(self) -> int:
        return -(-self.matrix.shape[0] // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Posts, torch.Tensor]]:
        order = self.shuffle.permutation(self.matrix.shape[0])
        batches = [order[i : i + self.batch_size] for i in range(0, order.size, self.batch_size)]
        for number, docs in enumerate(batches):
            following = batches[number + 1] if number + 1 < len(batches) else None
            yield Posts(self.matrix, docs, following), self.labels[docs]

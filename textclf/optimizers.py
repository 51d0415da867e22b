"""The optimiser a config asks for, on the fastest path that gives its arithmetic: the one place
that knows every backend (textclf.optim in PyTorch, textclf.native in C), so that neither
imports the other's chooser."""

from __future__ import annotations

import torch

from textclf import native
from textclf.config import TrainConfig
from textclf.model import MLP
from textclf.native.rowadam import NativeRowAdam
from textclf.optim import SGD_MOMENTUM, RowAdam, dense_rows


def make_optimizer(
    config: TrainConfig, model: MLP, matrix=None, backend: str = "auto"
) -> torch.optim.Optimizer:
    """The optimiser config asks for, on the fastest path giving its arithmetic: Adam without weight
    decay is RowAdam, in C if a library builds and `matrix` is given (batches come from it), else
    in PyTorch; "native"/"plain" insists. SGD, weight decay (every row moves): PyTorch's own.
    """
    if config.optimizer == "adam" and config.weight_decay == 0:
        if backend != "plain" and matrix is not None:
            kernels = native.library()
            if kernels is not None:
                return NativeRowAdam(model, kernels, matrix, lr=config.lr)
            if backend == "native":
                raise RuntimeError("no C compiler here to build the native kernels")
        if matrix is None:
            return RowAdam(model, lr=config.lr)
        return RowAdam(model, lr=config.lr, dense_rows=dense_rows(matrix, config.batch_size))
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=SGD_MOMENTUM, weight_decay=config.weight_decay
    )


def backend_name(optimizer: torch.optim.Optimizer) -> str:
    """What trained the word table, as the page and the CLI say it."""
    return getattr(optimizer, "backend", f"PyTorch ({type(optimizer).__name__}, full table)")

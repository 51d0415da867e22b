"""The optimiser a config asks for, on the fastest path that gives its arithmetic: the one place
that knows every backend (textclf.fast.optim in PyTorch, textclf.fast.native in C), so that neither
imports the other's chooser."""

from __future__ import annotations

import torch

from textclf.fast import native
from textclf.fast.native.rowadam import NativeRowAdam
from textclf.fast.optim import RowAdam, dense_rows
from textclf.learn.config import TrainConfig
from textclf.learn.model import MLP
from textclf.learn.train import tutorial_optimizer


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
                raise RuntimeError("no compiler or ninja here to build the native kernels")
        if matrix is None:
            return RowAdam(model, lr=config.lr)
        return RowAdam(model, lr=config.lr, dense_rows=dense_rows(matrix, config.batch_size))
    return tutorial_optimizer(config, model)

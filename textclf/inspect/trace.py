"""One training step, traced: a real batch through a copy of a trained network on plain PyTorch,
the operations autograd recorded, the loss, each parameter's gradient and how far a step moves
it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from textclf.learn.batches import Batches
from textclf.learn.config import TrainConfig
from textclf.learn.model import MLP
from textclf.learn.train import share_of, tutorial_optimizer


@dataclass(frozen=True)
class Operation:
    name: str  # as autograd names its backward node: AddmmBackward0, ReluBackward0, ...
    output_shape: tuple[int, ...]  # of the forward operation's output, read from its gradient
    inputs: tuple[int, ...]  # the earlier operations it reads, by their place in the list
    parameters: tuple[str, ...]  # the parameters it reads directly ("head.weight", ...)


@dataclass(frozen=True)
class ParameterStep:
    name: str  # "first.weight", "body.2.bias", "head.weight", ...
    shape: tuple[int, ...]  # as stored
    gradient_norm: float  # after backward()
    moved: float  # norm of the change optimizer.step() made


@dataclass(frozen=True)
class StepTrace:
    input_shape: tuple[int, int]  # (posts in the batch, vocabulary)
    nonzero_share: float  # of the input's entries: the rest are words a post does not hold
    operations: tuple[Operation, ...]  # from the input toward the loss
    loss: float
    parameters: tuple[ParameterStep, ...]
    rows_touched: int  # rows of the word table with a nonzero gradient
    words_in_batch: int  # distinct words the batch holds: an upper bound on rows_touched
    vocabulary: int  # rows of the word table
    optimizer: str  # what stepped: torch.optim.Adam or SGD, fresh (the run's moments are gone)


def trace_step(
    config: TrainConfig, model: MLP, X_train: sp.csr_matrix, y_train: np.ndarray
) -> StepTrace:
    """The first batch training would take (the config's share, batch size and seed) through a copy
    of model in train mode: forward, cross-entropy, backward, one step of the config's optimiser;
    the word layer's product goes through autograd, as with any torch optimiser."""
    X_train, y_train = share_of(X_train, y_train, config.train_share, config.seed)
    posts, targets = next(iter(Batches(X_train, y_train, config.batch_size, config.seed)))
    copy = MLP.from_config(config, model.first.in_features, model.head.out_features)
    copy.load_state_dict(model.state_dict())  # a copy without the hooks an optimiser left
    copy.draw_dropout_from(torch.Generator().manual_seed(config.seed))
    copy.train()
    loss = nn.CrossEntropyLoss()(copy(posts), targets)
    nodes, shapes = _graph(loss)
    loss.backward()
    names = {id(p): name for name, p in copy.named_parameters()}
    before = {name: p.detach().clone() for name, p in copy.named_parameters()}
    optimizer = tutorial_optimizer(config, copy)
    optimizer.step()
    place = {node: i for i, node in enumerate(n for n in nodes if not _is_leaf(n))}
    operations = tuple(
        Operation(
            name=type(node).__name__,
            output_shape=shapes[node],
            inputs=tuple(place[n] for n, _ in node.next_functions if n in place),
            parameters=tuple(
                names[id(n.variable)]
                for n, _ in node.next_functions
                if n is not None and _is_leaf(n)
            ),
        )
        for node in place
    )
    steps = tuple(
        ParameterStep(
            name, tuple(p.shape), float(p.grad.norm()), float((p.detach() - before[name]).norm())
        )
        for name, p in copy.named_parameters()
    )
    rows = posts.rows
    return StepTrace(
        input_shape=rows.shape,
        nonzero_share=rows.nnz / max(rows.shape[0] * rows.shape[1], 1),
        operations=operations,
        loss=loss.item(),
        parameters=steps,
        rows_touched=int((copy.first.weight.grad != 0).any(dim=1).sum()),
        words_in_batch=len(posts.words),
        vocabulary=copy.first.in_features,
        optimizer=f"torch.optim.{type(optimizer).__name__}",
    )


def _is_leaf(node) -> bool:
    return hasattr(node, "variable")  # AccumulateGrad: where a parameter's gradient lands


def _graph(loss: torch.Tensor) -> tuple[list, dict]:
    """The nodes of loss's autograd graph, each after the nodes it reads (a depth-first
    post-order from the loss), and a dict that backward() fills with each node's forward output
    shape: that of the gradient flowing into it."""
    order, seen, shapes = [], set(), {}
    stack = [(loss.grad_fn, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((n, False) for n, _ in reversed(node.next_functions))
        if not _is_leaf(node):
            node.register_prehook(lambda grads, node=node: shapes.__setitem__(
                node, tuple(grads[0].shape)))  # fmt: skip
    return order, shapes


def graph_dot(trace: StepTrace) -> str:
    """autograd's graph of the step as Graphviz, as torchviz draws it: each backward node by
    PyTorch's name with its output shape, and the parameters it reads, from the input at the
    top to the loss at the bottom."""
    lines = [
        "digraph autograd {",
        '  rankdir=TB; bgcolor="transparent"; node [shape=box, style="rounded,filled", '
        'fillcolor="#eef3f8", color="#4e79a7", fontname="monospace", fontsize=10]; '
        'edge [color="#888888"];',
    ]
    for i, op in enumerate(trace.operations):
        shape = " × ".join(f"{d:,}" for d in op.output_shape) or "scalar"
        lines.append(f'  op{i} [label="{op.name}\\n({shape})"];')
        for j in op.inputs:
            lines.append(f"  op{j} -> op{i};")
        for name in op.parameters:
            node = "p_" + name.replace(".", "_")
            lines.append(
                f'  {node} [label="{name}", shape=ellipse, fillcolor="#fdf1dc", color="#f28e2b"];'
            )
            lines.append(f"  {node} -> op{i};")
    lines.append(f'  loss [label="loss {trace.loss:.4g}", fillcolor="#ffffff"];')
    lines.append(f"  op{len(trace.operations) - 1} -> loss;")
    lines.append("}")
    return "\n".join(lines)

import numpy as np
import pytest
import torch
from torch import nn

from tests.runs import run
from textclf.inspect.trace import graph_dot, trace_step
from textclf.learn.batches import Batches
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.model import MLP
from textclf.learn.train import share_of


def graph_names(loss: torch.Tensor) -> list[str]:
    """Every node autograd recorded, parameters' AccumulateGrad left out, as a sorted list."""
    names, seen, stack = [], set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if not hasattr(node, "variable"):
            names.append(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    return sorted(names)


def independent_step(config, model, X, y):
    """The training loop's pieces on the same first batch, on a copy of the model."""
    X, y = share_of(X, y, config.train_share, config.seed)
    posts, targets = next(iter(Batches(X, y, config.batch_size, config.seed)))
    copy = MLP(X.shape[1], model.head.out_features, config.hidden, config.layers,
               config.dropout, config.activation)  # fmt: skip
    copy.load_state_dict(model.state_dict())
    copy.draw_dropout_from(torch.Generator().manual_seed(config.seed))
    copy.train()
    loss = nn.CrossEntropyLoss()(copy(posts), targets)
    loss.backward()
    return posts, loss, copy


@pytest.mark.parametrize(
    "changes",
    [{}, dict(layers=1, activation="tanh", dropout=0.3, optimizer="sgd", train_share=0.5),
     dict(layers=3, hidden=32, activation="gelu", batch_size=40)],
)  # fmt: skip
def test_traced_step_matches_the_training_loops_pieces(corpus, features, changes):
    config = replace(TUTORIAL, epochs=1, **changes)
    model = run(config, corpus, features).classifier.model
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}
    traced = trace_step(config, model, features.X_train, corpus.train_labels)
    posts, loss, copy = independent_step(config, model, features.X_train, corpus.train_labels)

    assert all(torch.equal(p, weights[name]) for name, p in model.named_parameters())
    assert sorted(op.name for op in traced.operations) == graph_names(loss)
    assert traced.loss == pytest.approx(loss.item(), rel=1e-6)
    grads = {name: float(p.grad.norm()) for name, p in copy.named_parameters()}
    assert [s.name for s in traced.parameters] == list(grads)
    assert [s.gradient_norm for s in traced.parameters] == pytest.approx(list(grads.values()))
    assert all(s.moved > 0 for s in traced.parameters)

    rows = posts.rows
    assert traced.input_shape == rows.shape == (len(posts), 28_835)
    assert traced.nonzero_share == pytest.approx(rows.nnz / np.prod(rows.shape))
    touched = int((copy.first.weight.grad != 0).any(1).sum())
    assert traced.rows_touched == touched <= traced.words_in_batch < traced.vocabulary
    assert traced.words_in_batch == np.unique(rows.indices).size


def test_the_op_chain_follows_the_network(tutorial_run, features, corpus):
    traced = trace_step(TUTORIAL, tutorial_run.classifier.model, features.X_train,
                        corpus.train_labels)  # fmt: skip
    names = [op.name for op in traced.operations]
    assert names == [
        "_WordProductsBackward", "AddBackward0", "ReluBackward0", "TBackward0", "AddmmBackward0",
        "ReluBackward0", "TBackward0", "AddmmBackward0", "LogSoftmaxBackward0", "NllLossBackward0",
    ]  # fmt: skip
    shapes = [op.output_shape for op in traced.operations]
    assert shapes[0] == (150, 100) and shapes[-2] == (150, 3) and shapes[-1] == ()
    assert traced.operations[0].parameters == ("first.weight",)
    assert traced.operations[-1].inputs == (8,)  # each op reads the ones before it
    assert all(i < n for n, op in enumerate(traced.operations) for i in op.inputs)

    deeper = replace(TUTORIAL, layers=3, activation="tanh", dropout=0.2, epochs=1)
    model = run(deeper, corpus, features).classifier.model
    other = [op.name for op in trace_step(deeper, model, features.X_train,
                                          corpus.train_labels).operations]  # fmt: skip
    assert other.count("AddmmBackward0") == 3 and other.count("TanhBackward0") == 3
    assert other.count("MulBackward0") == 3 and "ReluBackward0" not in other  # dropout's masks


def test_the_graph_drawn_is_autograds_own(tutorial_run, features, corpus):
    trace = trace_step(
        TUTORIAL, tutorial_run.classifier.model, features.X_train, corpus.train_labels
    )
    dot = graph_dot(trace)
    for i, op in enumerate(trace.operations):
        assert f'op{i} [label="{op.name}' in dot
        for j in op.inputs:
            assert f"op{j} -> op{i};" in dot
        for name in op.parameters:
            assert f"p_{name.replace('.', '_')} -> op{i};" in dot

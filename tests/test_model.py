"""The sparse first layer against its oracle, nn.Linear on the same rows made dense."""

import numpy as np
import torch
from torch import nn

from textclf.model import MLP, SparseLinear, to_csr_tensor
from textclf.train import renumber_words


def _dense_twin(layer: SparseLinear) -> nn.Linear:
    linear = nn.Linear(layer.in_features, layer.out_features)
    with torch.no_grad():
        linear.weight.copy_(layer.weight.T)
        linear.bias.copy_(layer.bias)
    return linear


def test_sparse_layer_matches_nn_linear_outputs_and_gradients(features):
    torch.manual_seed(0)
    X = features.X_train[:150]  # a tutorial batch of real posts
    layer = SparseLinear(X.shape[1], 100)
    linear = _dense_twin(layer)
    grad_out = torch.randn(150, 100)

    out = layer(to_csr_tensor(X), x_t=to_csr_tensor(X.T))
    out.backward(grad_out)
    expected = linear(torch.from_numpy(X.toarray()))
    expected.backward(grad_out)

    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.weight.grad, linear.weight.grad.T, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.bias.grad, linear.bias.grad)


def test_renumbered_rows_give_the_same_outputs_and_gradients(features):
    """Training feeds only the batch's word rows; it must be the same layer."""
    torch.manual_seed(1)
    X = features.X_train[300:450]
    layer = SparseLinear(X.shape[1], 32)
    linear = _dense_twin(layer)
    words, renumbered = renumber_words(X)
    assert words.size == np.unique(X.indices).size
    rows = layer.weight.detach()[torch.from_numpy(words)].clone().requires_grad_()
    out = layer(to_csr_tensor(renumbered), rows, to_csr_tensor(renumbered.T))
    out.sum().backward()
    expected = linear(torch.from_numpy(X.toarray()))
    expected.sum().backward()
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(rows.grad, linear.weight.grad.T[words], rtol=1e-5, atol=1e-5)
    untouched = np.setdiff1d(np.arange(X.shape[1]), words)
    assert torch.count_nonzero(linear.weight.grad.T[untouched]) == 0


def test_mlp_has_the_tutorial_shape():
    model = MLP(1000, 3, hidden=100, layers=2)
    linears = [m for m in model.modules() if isinstance(m, (nn.Linear, SparseLinear))]
    assert [(m.in_features, m.out_features) for m in linears] == [(1000, 100), (100, 100), (100, 3)]
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 2
    deep = MLP(1000, 5, hidden=16, layers=4, dropout=0.3)
    assert sum(isinstance(m, nn.Linear) for m in deep.modules()) == 4  # 3 hidden-to-hidden + head
    assert all(m.p == 0.3 for m in deep.modules() if isinstance(m, nn.Dropout))

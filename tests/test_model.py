"""The sparse first layer against its oracle, nn.Linear on the same rows made dense."""

import numpy as np
import pytest
import torch
from torch import nn

from textclf.learn.batches import Batches, Posts
from textclf.learn.model import MLP, WordLayer


def _dense_twin(layer: WordLayer) -> nn.Linear:
    linear = nn.Linear(layer.in_features, layer.out_features)
    with torch.no_grad():
        linear.weight.copy_(layer.weight.T)
        linear.bias.copy_(layer.bias)
    return linear


def test_word_layer_matches_nn_linear_outputs_and_gradients(features):
    torch.manual_seed(0)
    X = features.X_train
    posts = Posts(X, np.arange(300, 450))  # a tutorial batch of real posts
    layer = WordLayer(X.shape[1], 100)
    linear = _dense_twin(layer)
    grad_out = torch.randn(150, 100)

    out = layer(posts)
    out.backward(grad_out)
    expected = linear(torch.from_numpy(X[300:450].toarray()))
    expected.backward(grad_out)

    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.weight.grad, linear.weight.grad.T, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.bias.grad, linear.bias.grad)
    untouched = np.setdiff1d(np.arange(X.shape[1]), posts.words)
    assert torch.count_nonzero(layer.weight.grad[untouched]) == 0  # only the batch's words
    with torch.no_grad():  # an evaluation reads the rows in place (natively, where built)
        torch.testing.assert_close(layer(posts), expected, rtol=1e-5, atol=1e-5)
        whole = layer(Posts.every(X[:500]))
        dense = linear(torch.from_numpy(X[:500].toarray()))
        torch.testing.assert_close(whole, dense, rtol=1e-5, atol=1e-5)


def test_batches_cover_every_post_once_an_epoch_in_a_new_order(features, corpus):
    batches = Batches(features.X_train, corpus.train_labels, 150, seed=0)
    epochs = [[(posts, labels) for posts, labels in batches] for _ in range(2)]
    assert len(epochs[0]) == len(batches) == 12  # 1,774 posts: 11 of 150 and one of 124
    for epoch in epochs:
        docs = np.concatenate([posts.docs for posts, _ in epoch])
        assert np.array_equal(np.sort(docs), np.arange(features.X_train.shape[0]))
        for (posts, labels), (following, _) in zip(epoch, epoch[1:] + [(None, None)], strict=True):
            assert np.array_equal(labels.numpy(), corpus.train_labels[posts.docs])
            if following is None:
                assert posts.following is None  # the last batch
            else:
                assert np.array_equal(posts.following, following.docs)
    first, second = (np.concatenate([p.docs for p, _ in epoch]) for epoch in epochs)
    assert not np.array_equal(first, second)


def test_mlp_has_the_tutorial_shape():
    model = MLP(1000, 3, hidden=100, layers=2)
    linears = [m for m in model.modules() if isinstance(m, (nn.Linear, WordLayer))]
    assert [(m.in_features, m.out_features) for m in linears] == [(1000, 100), (100, 100), (100, 3)]
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 2
    deep = MLP(1000, 5, hidden=16, layers=4, dropout=0.3)
    assert sum(isinstance(m, nn.Linear) for m in deep.modules()) == 4  # 3 hidden-to-hidden + head
    assert all(m.p == 0.3 for m in deep.modules() if isinstance(m, nn.Dropout))


@pytest.mark.parametrize(
    "name, kind", [("relu", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("gelu", nn.GELU)]
)
def test_each_hidden_layer_uses_the_chosen_activation(name, kind):
    model = MLP(1000, 3, hidden=8, layers=3, activation=name)
    activations = [m for m in model.body if not isinstance(m, (nn.Linear, nn.Dropout))]
    assert len(activations) == 3 and all(type(m) is kind for m in activations)

"""RowAdam, plain and native, against torch.optim.Adam: the same numbers, though it steps only
the rows of the word table a batch touched."""

import copy
import functools

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch import nn

from textclf.fast import native
from textclf.fast.optim import RowAdam, dense_rows
from textclf.fast.optimizers import make_optimizer
from textclf.learn.batches import Batches, Posts
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.model import MLP
from textclf.learn.train import backend_name, predict_logits, train, tutorial_optimizer

BACKENDS = ["plain", "native"]


def _optimizer(backend: str, model: MLP, X, lr: float) -> torch.optim.Optimizer:
    if backend == "native":
        kernels = native.library()
        if kernels is None:
            pytest.skip("no C compiler here (or TEXTCLF_NATIVE=0): the native path is off")
        from textclf.fast.native.rowadam import NativeRowAdam

        return NativeRowAdam(model, kernels, X, lr=lr)
    return RowAdam(model, lr=lr, dense_rows=10)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, hidden",
    # plain RowAdam copies rows back four floats to an element where the width allows (8), else
    # one at a time (7)
    [("plain", 8), ("plain", 7), ("native", 8)],
)
def test_row_adam_equals_torch_adam_when_rows_skip_steps(backend, hidden):
    """The same network trained by the same loop on the same batches, by torch.optim.Adam and by
    RowAdam: the same weights read right after step(), the same outputs, and the same word table
    at the end, though most rows sit out most steps, for longer than the closed form's horizon."""
    rng = np.random.default_rng(0)
    words, docs = 60, 40
    X = sp.random(docs, words, density=0.06, format="csr", random_state=1, dtype=np.float32)
    X.data = rng.integers(1, 4, size=X.nnz).astype(np.float32)  # word counts
    torch.manual_seed(0)
    model = MLP(words, 3, hidden=hidden, layers=2)
    oracle = copy.deepcopy(model)
    adam = torch.optim.Adam(oracle.parameters(), lr=0.05)
    optimizer = _optimizer(backend, model, X, lr=0.05)
    batches = [rng.choice(docs, size=3, replace=False) for _ in range(400)]
    loss_fn = nn.CrossEntropyLoss()
    for number, batch in enumerate(batches):
        following = batches[number + 1] if number + 1 < len(batches) else None
        targets = torch.from_numpy(rng.integers(0, 3, size=3))
        for net, opt, posts in ((oracle, adam, Posts(X, batch)), (model, optimizer,
                                Posts(X, batch, following))):  # fmt: skip
            logits = net(posts)
            loss = loss_fn(logits, targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if number % 50 == 25:  # right after step(): the module's state is Adam's, rows kept
            expected = oracle.state_dict()  # lazily brought up to date as it is read
            for name, tensor in model.state_dict().items():
                torch.testing.assert_close(tensor, expected[name], rtol=1e-4, atol=1e-4, msg=name)
        if number % 50 == 0:  # an evaluation mid-training reads every row up to date
            torch.testing.assert_close(
                predict_logits(model, X), predict_logits(oracle, X), rtol=1e-4, atol=1e-4
            )
    predict_logits(model, X)
    for (name, p), (_, q) in zip(model.named_parameters(), oracle.named_parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-4, msg=name)


def test_native_row_adam_gives_the_same_table_whatever_the_number_of_threads(features, corpus):
    """The same seed gives the same network on a laptop and on a many-core server: the walk's
    threads split the rows, never a sum."""
    kernels = native.library()
    if kernels is None:
        pytest.skip("no C compiler here (or TEXTCLF_NATIVE=0): the native path is off")
    from textclf.fast.native.rowadam import NativeRowAdam

    X = features.X_train
    rng = np.random.default_rng(0)
    batches = [rng.permutation(X.shape[0])[:150] for _ in range(12)]
    torch.manual_seed(0)
    start = MLP(X.shape[1], 3, hidden=16)
    tables = []
    for threads in (1, 2, 3):
        model = copy.deepcopy(start)
        optimizer = NativeRowAdam(model, kernels, X, lr=0.01, threads=threads)
        for number, batch in enumerate(batches):
            following = batches[number + 1] if number + 1 < len(batches) else None
            loss = nn.functional.cross_entropy(
                model(Posts(X, batch, following)), torch.from_numpy(corpus.train_labels[batch])
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        predict_logits(model, X[:10])  # brings the table up to date
        tables.append(model.first.weight.detach())
    assert (tables[0] != start.first.weight).float().mean() > 0.1  # trained
    assert torch.equal(tables[0], tables[1]) and torch.equal(tables[0], tables[2])


def test_native_code_is_handed_only_arrays_it_may_read(features):
    """Every call into C checks what it points at: a mismatch is a ValueError, not a read past
    the end of an array."""
    kernels = native.library()
    if kernels is None:
        pytest.skip("no C compiler here (or TEXTCLF_NATIVE=0): the native path is off")
    from textclf.fast.native.rowadam import NativeRowAdam

    X = features.X_train
    model = MLP(X.shape[1], 3, hidden=8)
    with pytest.raises(ValueError):  # a matrix of another vocabulary
        NativeRowAdam(model, kernels, X[:, :100], lr=0.01)
    optimizer = NativeRowAdam(model, kernels, X, lr=0.01)
    model.train()
    for docs in ([0, X.shape[0]], [-1]):
        with pytest.raises(ValueError, match="outside"):
            model(Posts(X, np.array(docs)))
    with pytest.raises(ValueError, match="matrix it was given"):
        model(Posts(X.copy(), np.array([0, 1])))
    assert optimizer.t == 0


def test_the_factory_picks_an_optimiser_for_each_setting(features):
    X = features.X_train
    model = MLP(X.shape[1], 3, hidden=8)
    adam = make_optimizer(TUTORIAL, model, X)
    expected = "C kernels" if native.library() is not None else "PyTorch (row-wise Adam)"
    assert backend_name(adam).startswith(expected)
    plain = make_optimizer(TUTORIAL, MLP(X.shape[1], 3, hidden=8), X, backend="plain")
    assert backend_name(plain) == "PyTorch (row-wise Adam)"
    sgd = make_optimizer(replace(TUTORIAL, optimizer="sgd"), MLP(50, 3), X)
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.9
    decayed = make_optimizer(replace(TUTORIAL, weight_decay=0.001), MLP(50, 3), X)
    assert isinstance(decayed, torch.optim.Adam)
    assert decayed.param_groups[0]["weight_decay"] == 0.001
    assert "full table" in backend_name(decayed)


def test_the_block_stepped_whole_holds_the_words_most_batches_read(features, corpus):
    """RowAdam steps the first rows as one block: worth it for the words nearly every batch
    reads, not for rare ones. Counted over ten epochs of real batches."""
    X = features.X_train
    block = dense_rows(X, 150)
    batches = Batches(X, corpus.train_labels, 150, seed=0)
    read = [posts.words for _ in range(10) for posts, _ in batches]
    share = np.bincount(np.concatenate(read), minlength=X.shape[1]) / len(read)
    assert 1000 < block < X.shape[1] // 2
    assert share[:block].min() >= 0.1  # each word in the block: in one batch in ten or more
    assert np.median(share[:block]) > 0.4
    assert share[block:].max() <= 0.35
    assert np.median(share[block:]) <= 1 / len(batches)  # most are in one post: once an epoch


def test_a_trained_model_does_not_keep_its_optimiser_alive(features, corpus):
    """The optimiser's moments are twice the word table: a session's finished run must not
    hold them."""
    import gc
    import weakref

    X = features.X_train
    model = MLP(X.shape[1], 3, hidden=8)
    optimizer = make_optimizer(TUTORIAL, model, X)
    gone = weakref.ref(optimizer)
    loss = nn.functional.cross_entropy(
        model(Posts(X, np.arange(10))), torch.from_numpy(corpus.train_labels[:10])
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    predict_logits(model, X[:5])
    del optimizer, loss
    gc.collect()
    assert gone() is None
    before = model.first.weight.detach().clone()
    predict_logits(model, X[:5])  # the model still reads its table, as it is
    assert torch.equal(before, model.first.weight)


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_tracks_dense_adam_on_real_posts(corpus, features, backend):
    """Same start, same batches: the fast path stays with torch.optim.Adam on dense gradients.

    They part only where a gradient is near Adam's eps (1e-8), which RowAdam treats approximately
    in skipped steps; Adam moves such weights by up to lr a step, so a few drift by ~lr.
    """
    if backend == "native" and native.library() is None:
        pytest.skip("no C compiler here (or TEXTCLF_NATIVE=0): the native path is off")
    config = replace(TUTORIAL, epochs=2)
    args = (features.X_train, corpus.train_labels, features.X_test, corpus.test_labels, 3)
    fast = train(config, *args, optimizer_for=functools.partial(make_optimizer, backend=backend))
    exact = train(config, *args, optimizer_for=tutorial_optimizer)
    assert fast.backend.startswith("C kernels" if backend == "native" else "PyTorch (row")
    for (name, p), (_, q) in zip(
        fast.model.named_parameters(), exact.model.named_parameters(), strict=True
    ):
        close = torch.isclose(p, q, atol=1e-3, rtol=0).float().mean().item()
        assert close > 0.99, (name, close)
    X_test = features.X_test
    fast_answers = predict_logits(fast.model, X_test).argmax(1)
    exact_answers = predict_logits(exact.model, X_test).argmax(1)
    assert (fast_answers == exact_answers).float().mean() > 0.99
    assert abs(fast.history[-1].test_accuracy - exact.history[-1].test_accuracy) <= 0.005

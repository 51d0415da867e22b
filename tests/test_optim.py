"""RowAdam against torch.optim.Adam: the same arithmetic, though it touches only a batch's rows."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from textclf import kernels
from textclf.config import TUTORIAL, replace
from textclf.optim import DenseAdam, NativeRowAdam, RowAdam
from textclf.train import predict_logits, train


@pytest.mark.parametrize("dense_rows", [0, 10])
def test_row_adam_equals_dense_adam_when_rows_skip_steps(dense_rows):
    generator = torch.Generator().manual_seed(0)
    table = torch.randn(50, 8, generator=generator)
    dense = table.clone().requires_grad_()
    adam = torch.optim.Adam([dense], lr=0.05)
    rows_adam = RowAdam(table, lr=0.05, dense_rows=dense_rows)
    rng = np.random.default_rng(0)
    for _ in range(400):  # long enough for rows to be stale past the closed form's horizon
        rows = torch.from_numpy(np.sort(rng.choice(50, size=rng.integers(1, 6), replace=False)))
        grad = torch.randn(len(rows), 8, generator=generator)
        dense.grad = torch.zeros(50, 8).index_copy_(0, rows, grad)
        adam.step()
        # take_rows hands out the dense block, then the other rows asked for
        sparse_rows = rows[rows >= dense_rows]
        assert rows_adam.take_rows(rows).shape[0] == dense_rows + len(sparse_rows)
        rows_adam.step_rows(torch.cat([dense.grad[:dense_rows], dense.grad[sparse_rows]]))
        # a row read mid-training is current, too
        expected = torch.cat([dense.detach()[:dense_rows], dense.detach()[sparse_rows]])
        torch.testing.assert_close(rows_adam.take_rows(rows), expected, rtol=1e-4, atol=1e-5)
        rows_adam._taken = None
    rows_adam.flush()
    torch.testing.assert_close(table, dense.detach(), rtol=1e-4, atol=1e-5)


def test_the_c_kernels_build_and_load_here():
    """CI's machines have a C compiler: training there must take the fast path."""
    assert kernels.load() is not None


@pytest.mark.parametrize("walk", ["take, step", "step + next take"])
def test_native_row_adam_equals_dense_adam_when_rows_skip_steps(walk):
    """Batches of a sparse matrix's rows, as training takes them: the first layer's output from
    the batch's words brought up to date, then their step from that output's gradient, x^T
    grad_out, as dense Adam steps the whole table; taken one call each, or each step also
    taking the next batch (gathered ahead on another thread) in the same walk."""
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    words, hidden, docs = 60, 8, 40
    X = sp.random(docs, words, density=0.06, format="csr", random_state=1, dtype=np.float32)
    X.data = rng.integers(1, 4, size=X.nnz).astype(np.float32)  # word counts
    table = torch.randn(words, hidden, generator=generator)
    dense = table.clone().requires_grad_()
    adam = torch.optim.Adam([dense], lr=0.05)
    native = NativeRowAdam(table, kernels.load(), X, lr=0.05)
    batches = [rng.choice(docs, size=3, replace=False) for _ in range(400)] + [None, None]
    products = None
    for number in range(400):  # long enough for rows to be stale past the closed form's horizon
        x = torch.from_numpy(X[batches[number]].toarray())
        if products is None:
            products = native.take_rows(batches[number], batches[number + 1])
        torch.testing.assert_close(products, x @ dense.detach(), rtol=1e-4, atol=1e-4)
        grad_out = torch.randn(3, hidden, generator=generator)
        if walk == "take, step":
            native.step_rows(grad_out)
            products = None
        else:
            products = native.step_rows(grad_out, *batches[number + 1 : number + 3])
        dense.grad = x.T @ grad_out
        adam.step()
    assert products is None  # nothing follows the last batch
    native.flush()
    torch.testing.assert_close(table, dense.detach(), rtol=1e-4, atol=1e-5)
    # the C code reads what it is given: anything else is refused before it gets there
    with pytest.raises(IndexError):
        native.take_rows(np.array([0, docs]))
    with pytest.raises(IndexError):
        native.take_rows(np.array([-1]))
    native.take_rows(np.array([0, 1]))
    with pytest.raises(ValueError):
        native.step_rows(torch.zeros(3, hidden))
    with pytest.raises(ValueError):  # the taken batch is stepped first
        native.take_rows(np.array([2, 3]))


def test_native_row_adam_gives_the_same_table_whatever_the_number_of_threads(features):
    """The same seed gives the same network on a laptop and on a many-core server: the walk's
    threads split the rows, never a sum."""
    X = features.X_train
    rng = np.random.default_rng(0)
    batches = [rng.permutation(X.shape[0])[:150] for _ in range(12)] + [None, None]
    start = torch.randn(X.shape[1], 16, generator=torch.Generator().manual_seed(0)) * 0.01
    tables = []
    for threads in (1, 2, 3):
        generator = torch.Generator().manual_seed(1)
        table = start.clone()
        native = NativeRowAdam(table, kernels.load(), X, lr=0.01, threads=threads)
        products = native.take_rows(batches[0], batches[1])
        for number in range(12):
            grad_out = torch.randn(products.shape, generator=generator) + products
            products = native.step_rows(grad_out, *batches[number + 1 : number + 3])
        native.flush()
        tables.append(table)
    assert (tables[0] != start).float().mean() > 0.1  # trained
    assert torch.equal(tables[0], tables[1]) and torch.equal(tables[0], tables[2])


@pytest.mark.parametrize("native", [True, False], ids=["C kernels", "PyTorch ops"])
def test_fast_training_tracks_exact_dense_adam_on_real_posts(corpus, features, native):
    """Same start, same batches: the fast path stays with torch.optim.Adam on dense gradients.

    They part only where a gradient is near Adam's eps (1e-8), which RowAdam treats approximately
    in skipped steps; Adam moves such weights by up to lr a step, so a few drift by ~lr.
    """
    config = replace(TUTORIAL, epochs=2)
    args = (features.X_train, corpus.train_labels, features.X_test, corpus.test_labels, 3)
    fast = train(config, *args, native=native)
    exact = train(config, *args, exact=True)
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


def test_dense_adam_steps_exactly_as_torch_optim_adam_fused():
    torch.manual_seed(0)
    layers = [torch.nn.Linear(20, 30), torch.nn.Linear(30, 5)]
    copies = [torch.nn.Linear(20, 30), torch.nn.Linear(30, 5)]
    for layer, copy in zip(layers, copies, strict=True):
        copy.load_state_dict(layer.state_dict())
    ours = DenseAdam([p for layer in layers for p in layer.parameters()], lr=0.01)
    torchs = torch.optim.Adam([p for c in copies for p in c.parameters()], lr=0.01, fused=True)
    for step in range(30):
        x = torch.randn(16, 20)
        for net, optimizer in ((layers, ours), (copies, torchs)):
            optimizer.zero_grad()
            net[1](torch.relu(net[0](x))).square().mean().backward()
            if step % 7 == 3:  # a parameter without a gradient this step is left alone
                net[1].bias.grad = None
            optimizer.step()
    for layer, copy in zip(layers, copies, strict=True):
        assert torch.equal(layer.weight, copy.weight) and torch.equal(layer.bias, copy.bias)


def test_training_falls_back_to_pytorch_ops_without_a_c_compiler(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no library built earlier
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    kernels.forget()
    try:
        assert kernels.load() is None
        monkeypatch.setenv("CC", "cc")
        monkeypatch.setenv("TEXTCLF_NATIVE", "0")
        kernels.forget()
        assert kernels.load() is None
    finally:
        kernels.forget()


def test_sessions_asking_at_once_build_the_kernels_once(monkeypatch, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    kernels.forget()
    try:
        with ThreadPoolExecutor(4) as pool:
            loaded = list(pool.map(lambda _: kernels.load(), range(4)))
        assert loaded[0] is not None and all(k is loaded[0] for k in loaded)
        assert [p.suffix for p in (tmp_path / "textclf").iterdir()] == [".so"]  # no leftovers
        # a cache folder that cannot be made: the kernels build in a private temporary folder
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
        kernels.forget()
        assert kernels.load() is not None
    finally:
        kernels.forget()

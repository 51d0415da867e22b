"""The training loop: seeded, shuffled every epoch, reporting through a small per-epoch record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from textclf.config import TrainConfig
from textclf.kernels import available_cores
from textclf.kernels import load as load_kernels
from textclf.model import MLP, to_csr_tensor
from textclf.optim import DenseAdam, NativeRowAdam, RowAdam, csr_parts, sparse_products

DENSE_ROWS = 4096  # the most frequent words, stepped densely: 20% faster on 20 groups, measured
_GLOBAL_RNG = threading.Lock()  # torch's global generator is shared by every session's thread


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float  # mean training loss over the epoch's batches
    train_accuracy: float
    test_accuracy: float
    seconds: float  # spent training so far, on_epoch callbacks excluded
    test_recall: tuple[float, ...] = ()  # per category: the share of its test posts called right


@dataclass
class Trained:
    model: MLP
    history: list[EpochRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    stopped: bool = False  # True when should_stop ended training early


def set_torch_threads(kernels) -> int:
    """Torch threads for a training run, set deliberately. With the C kernels, one: what is
    left to torch is small layers, whose work does not pay for waking a second thread, and
    whose OpenMP threads spin-wait for each other, so that a busy core (the person's browser
    on the same machine, another session) stalls every op: Train to results in Chromium on
    this 2-core machine took 2.0 s with two threads, 0.9 s with one; training alone, no
    slower. The kernels use every core themselves (a step's walk over the table, an
    evaluation), with threads that do not spin. Without them: every core for torch
    (available_cores(); more threads than cores only contend)."""
    torch.set_num_threads(1 if kernels is not None else available_cores())
    return torch.get_num_threads()


def renumber_words(X: sp.csr_matrix, dense_rows: int = 0) -> tuple[np.ndarray, sp.csr_matrix]:
    """The batch's distinct word ids (sorted), and the batch with its columns renumbered to match
    RowAdam.take_rows: ids below dense_rows keep theirs, the others follow in order."""
    vocabulary = X.shape[1]
    words = np.flatnonzero(np.bincount(X.indices, minlength=vocabulary))  # O(nnz + V), no sort
    sparse_words = words[np.searchsorted(words, dense_rows) :]
    position = np.arange(vocabulary, dtype=np.int64)
    position[sparse_words] = dense_rows + np.arange(sparse_words.size)
    width = dense_rows + sparse_words.size
    renumbered = sp.csr_matrix((X.data, position[X.indices], X.indptr), (X.shape[0], width))
    return words, renumbered


@torch.no_grad()
def predict_logits(model: MLP, X: sp.csr_matrix, chunk: int = 4096) -> torch.Tensor:
    """Logits for every row, evaluated in chunks to bound memory; (rows, classes)."""
    was_training = model.training
    model.eval()
    kernels = load_kernels()
    rows = X.shape[0]
    if kernels is not None:  # the C kernel reads the word table's rows in place, on every core
        weight = model.first.weight.detach()
        parts = csr_parts(X)  # once; each chunk is a range of its rows
        outputs = [
            model.logits_from_products(
                sparse_products(kernels, parts, weight, range(i, min(i + chunk, rows)))
            )
            for i in range(0, rows, chunk)
        ]
    else:
        outputs = [model(to_csr_tensor(X[i : i + chunk])) for i in range(0, rows, chunk)]
    model.train(was_training)
    if not outputs:
        return torch.empty(0, model.head.out_features)
    return torch.cat(outputs)


def accuracy(model: MLP, X: sp.csr_matrix, y: np.ndarray) -> float:
    if X.shape[0] == 0:
        return float("nan")
    return float((predict_logits(model, X).argmax(1).numpy() == y).mean())


def train(
    config: TrainConfig,
    X_train: sp.csr_matrix,
    y_train: np.ndarray,
    X_test: sp.csr_matrix,
    y_test: np.ndarray,
    classes: int,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    exact: bool = False,
    initial_rows: np.ndarray | None = None,
    native: bool = True,
) -> Trained:
    """Trains config's network; exact=True: dense gradients and torch.optim.Adam (the oracle);
    native=False: RowAdam in PyTorch's ops even where the C kernels load (for comparison).

    initial_rows: for each column, the row of the seeded initial table it starts from
    (Features.alphabetical), so a word's initial weights do not depend on column order."""
    kernels = None if exact or not native else load_kernels()
    set_torch_threads(kernels)
    with _GLOBAL_RNG:  # initial weights from the seed alone, whatever other sessions do
        torch.manual_seed(config.seed)
        model = MLP(X_train.shape[1], classes, config.hidden, config.layers, config.dropout)
        dropout = torch.Generator()
        dropout.set_state(torch.get_rng_state())  # the stream nn.Dropout would have drawn next
    model.draw_dropout_from(dropout)
    shuffle = np.random.default_rng(config.seed)
    words = X_train.shape[1]
    start_rows = np.arange(words) if initial_rows is None else np.asarray(initial_rows)
    by_frequency = None
    if not exact:
        # Words sorted by how many training posts hold them: the frequent ones, which nearly every
        # batch touches, form the contiguous block RowAdam steps densely. fit_features numbers
        # them so already; other callers' matrices are reordered here and put back at the end.
        frequency_order = np.argsort(-np.bincount(X_train.indices, minlength=words), kind="stable")
        if not np.array_equal(frequency_order, np.arange(words)):
            by_frequency = frequency_order
            X_train, X_test = X_train[:, by_frequency], X_test[:, by_frequency]
            start_rows = start_rows[by_frequency]
    first = model.first.weight.data
    if not np.array_equal(start_rows, np.arange(words)):
        first.copy_(first[torch.from_numpy(start_rows)])  # each word keeps its initial row
    if exact:
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        table = None
    else:
        if kernels is not None:
            table = NativeRowAdam(first, kernels, X_train, lr=config.lr)
        else:
            table = RowAdam(first, lr=config.lr, dense_rows=DENSE_ROWS)
        model.first.weight.requires_grad_(False)  # RowAdam trains it, a batch's rows at a time
        optimizer = DenseAdam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    targets = torch.from_numpy(np.asarray(y_train, dtype=np.int64))
    n = X_train.shape[0]
    result = Trained(model=model)
    started = time.perf_counter()
    in_callbacks = 0.0  # a UI redrawing charts must not count as training time
    for epoch in range(1, config.epochs + 1):
        if should_stop is not None and should_stop():
            result.stopped = True
            break
        model.train()
        order = shuffle.permutation(n)
        y = targets[order]
        total_loss = 0.0
        batches = [
            order[start : start + config.batch_size] for start in range(0, n, config.batch_size)
        ]
        batches += [None, None]  # what follows the last
        products = None
        for number, start in enumerate(range(0, n, config.batch_size)):
            stop = min(start + config.batch_size, n)
            optimizer.zero_grad()
            if isinstance(table, NativeRowAdam):
                # the first layer's output, from its words' rows brought up to date: taken by
                # the previous batch's step, which walks the rows of both batches at once
                if products is None:
                    products = table.take_rows(batches[number], batches[number + 1])
                products.requires_grad_()
                loss = loss_fn(model.logits_from_products(products), y[start:stop])
                loss.backward()
                products = table.step_rows(products.grad, *batches[number + 1 : number + 3])
            else:
                # each batch gathers its own rows: no shuffled copy of the matrix per epoch
                batch = X_train[order[start:stop]]
                if table is None:
                    x, x_t = to_csr_tensor(batch), to_csr_tensor(batch.T)
                    loss = loss_fn(model(x, x_t=x_t), y[start:stop])
                    loss.backward()
                else:
                    words, batch = renumber_words(batch, table.dense_rows)
                    rows = table.take_rows(torch.from_numpy(words)).requires_grad_()
                    logits = model(to_csr_tensor(batch), rows, to_csr_tensor(batch.T))
                    loss = loss_fn(logits, y[start:stop])
                    loss.backward()
                    table.step_rows(rows.grad)
            optimizer.step()
            total_loss += loss.item() * (stop - start)
        if table is not None:
            table.flush()
        test_predictions = predict_logits(model, X_test).argmax(1).numpy()
        record = EpochRecord(
            epoch=epoch,
            loss=total_loss / max(n, 1),
            train_accuracy=accuracy(model, X_train, y_train),
            test_accuracy=float((test_predictions == y_test).mean())
            if len(y_test)
            else float("nan"),
            seconds=time.perf_counter() - started - in_callbacks,
            test_recall=tuple(
                float((test_predictions[y_test == c] == c).mean()) if (y_test == c).any() else 0.0
                for c in range(classes)
            ),
        )
        result.history.append(record)
        if on_epoch is not None:
            callback_start = time.perf_counter()
            on_epoch(record)
            in_callbacks += time.perf_counter() - callback_start
    del table, optimizer  # their moments go before the table is copied back: a lower peak
    if by_frequency is not None:
        first[torch.from_numpy(by_frequency)] = first.clone()  # back to the caller's order
    result.train_seconds = time.perf_counter() - started - in_callbacks
    model.eval()
    return result

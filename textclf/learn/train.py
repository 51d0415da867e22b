"""The training loop, as pytorch/examples' mnist/main.py has it: for each batch, forward, loss,
zero_grad, backward, step; after each epoch, an evaluation in eval mode. Whatever makes it fast
lives behind the optimiser's interface (textclf.fast.optim, textclf.fast.native), never here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from textclf.learn.batches import Batches, Posts
from textclf.learn.config import SGD_MOMENTUM, TrainConfig
from textclf.learn.model import MLP

_GLOBAL_RNG = threading.Lock()  # torch's global generator is shared by every session's thread

# what train() asks for its optimiser: (config, model, the training matrix) -> Optimizer
OptimizerFor = Callable[[TrainConfig, MLP, sp.csr_matrix], torch.optim.Optimizer]


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float  # mean training loss over the epoch's batches
    train_accuracy: float
    test_accuracy: float
    seconds: float  # spent training so far, callbacks (on_epoch, on_snapshot) excluded
    test_recall: tuple[float, ...] = ()  # per category: the share of its test posts called right


@dataclass
class Trained:
    model: MLP
    backend: str  # what trained the word table (backend_name)
    history: list[EpochRecord] = field(default_factory=list)  # from epoch 0, before any step
    train_seconds: float = 0.0
    stopped: bool = False  # True when should_stop ended training early (the partial epoch is lost)


class Stopped(Exception):
    """should_stop() said so between two steps."""


def train_epoch(
    model: MLP, optimizer: torch.optim.Optimizer, batches: Batches, loss_fn, should_stop=None
) -> float:
    """One pass over the training posts; returns the mean loss. should_stop() is asked after
    every step, so that a long epoch can end part way (raising Stopped)."""
    model.train()
    total = 0.0
    for posts, targets in batches:
        logits = model(posts)
        loss = loss_fn(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(posts)
        if should_stop is not None and should_stop():
            raise Stopped
    return total / max(batches.matrix.shape[0], 1)


@torch.no_grad()
def predict_logits(model: MLP, X: sp.csr_matrix) -> torch.Tensor:
    """Logits for every row of X, (rows, classes), in eval mode, a chunk of rows at a time."""
    was_training = model.training
    model.eval()
    outputs = [model(posts) for posts in Posts.chunks(X)]
    model.train(was_training)
    return torch.cat(outputs) if outputs else torch.empty(0, model.head.out_features)


def evaluate(model: MLP, X: sp.csr_matrix, y: np.ndarray) -> tuple[float, tuple[float, ...]]:
    """Accuracy, and per category the share of its posts called right (its recall)."""
    predicted = predict_logits(model, X).argmax(1).numpy()
    classes = model.head.out_features
    recall = tuple(float((predicted[y == c] == c).mean()) if (y == c).any() else 0.0
                   for c in range(classes))  # fmt: skip
    return (float((predicted == y).mean()) if len(y) else float("nan")), recall


def train(
    config: TrainConfig,
    X_train: sp.csr_matrix,
    y_train: np.ndarray,
    X_test: sp.csr_matrix,
    y_test: np.ndarray,
    classes: int,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    initial_rows: np.ndarray | None = None,
    optimizer_for: OptimizerFor | None = None,
    on_snapshot: Callable[[MLP, EpochRecord], None] | None = None,
) -> Trained:
    """Trains config's network with optimizer_for's optimiser (torch.optim's unless given: the
    faster ones come from textclf.fast). should_stop() may block (turns); on_snapshot sees each
    epoch's model and leaves it as found; initial_rows: each column's row, so order moves none."""
    X_train, y_train = share_of(X_train, y_train, config.train_share, config.seed)
    model = seeded_model(config, X_train.shape[1], classes, initial_rows)
    optimizer = (optimizer_for or tutorial_optimizer)(config, model, X_train)
    batches = Batches(X_train, y_train, config.batch_size, config.seed)
    loss_fn = nn.CrossEntropyLoss()
    result = Trained(model=model, backend=backend_name(optimizer))

    def observe(record: EpochRecord) -> None:
        result.history.append(record)
        if on_snapshot is not None:
            on_snapshot(model, record)
        if on_epoch is not None:
            on_epoch(record)

    # epoch 0: the seeded network before any step, where the curves and the replay start
    logits = predict_logits(model, X_train)
    test_accuracy, test_recall = evaluate(model, X_test, y_test)
    observe(
        EpochRecord(
            epoch=0,
            loss=loss_fn(logits, torch.as_tensor(y_train, dtype=torch.long)).item(),
            train_accuracy=float((logits.argmax(1).numpy() == y_train).mean()),
            test_accuracy=test_accuracy,
            seconds=0.0,
            test_recall=test_recall,
        )
    )
    # a UI redrawing, or other work's turn in a server's queue, is not training time
    started, in_callbacks = time.perf_counter(), 0.0

    def stop_asked() -> bool:
        nonlocal in_callbacks
        asked = time.perf_counter()
        try:
            return should_stop is not None and should_stop()
        finally:
            in_callbacks += time.perf_counter() - asked

    for epoch in range(1, config.epochs + 1):
        if stop_asked():
            result.stopped = True
            break
        try:
            loss = train_epoch(model, optimizer, batches, loss_fn, stop_asked)
        except Stopped:
            result.stopped = True
            break
        test_accuracy, test_recall = evaluate(model, X_test, y_test)
        record = EpochRecord(
            epoch=epoch,
            loss=loss,
            train_accuracy=evaluate(model, X_train, y_train)[0],
            test_accuracy=test_accuracy,
            seconds=time.perf_counter() - started - in_callbacks,
            test_recall=test_recall,
        )
        callback_started = time.perf_counter()
        observe(record)
        in_callbacks += time.perf_counter() - callback_started
    result.train_seconds = time.perf_counter() - started - in_callbacks
    model.eval()
    return result


def tutorial_optimizer(config: TrainConfig, model: MLP, matrix=None) -> torch.optim.Optimizer:
    """config's optimiser as PyTorch gives it, stepping every weight: the tutorial's Adam, or SGD
    with momentum. The oracle the faster optimisers are held to (tests/test_optim.py)."""
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=SGD_MOMENTUM, weight_decay=config.weight_decay
    )


def backend_name(optimizer: torch.optim.Optimizer) -> str:
    """What trained the word table, as the page and the CLI say it."""
    return getattr(optimizer, "backend", f"PyTorch ({type(optimizer).__name__}, full table)")


def seeded_model(config: TrainConfig, words: int, classes: int, initial_rows=None) -> MLP:
    """config's network, its initial weights drawn from the seed alone whatever other sessions
    draw meanwhile, and its dropout masks from a generator of its own."""
    with _GLOBAL_RNG:
        torch.manual_seed(config.seed)
        model = MLP.from_config(config, words, classes)
        dropout = torch.Generator()
        dropout.set_state(torch.get_rng_state())  # the stream nn.Dropout would have drawn next
    model.draw_dropout_from(dropout)
    if initial_rows is not None and not np.array_equal(initial_rows, np.arange(words)):
        first = model.first.weight.data
        first.copy_(first[torch.from_numpy(np.asarray(initial_rows))])
    return model


def share_of(X: sp.csr_matrix, y: np.ndarray, share: float, seed: int):
    """That share of the posts, drawn per category (each keeps at least one), in their order."""
    if share >= 1:
        return X, y
    draw = np.random.default_rng([seed, 1])  # not the shuffle's stream
    keep = np.concatenate([
        draw.permutation(members)[: max(1, round(share * members.size))]
        for members in (np.flatnonzero(y == c) for c in np.unique(y))
    ])  # fmt: skip
    keep.sort()
    return X[keep], np.asarray(y)[keep]


def posts_used(train_posts: int, share: float) -> int:
    """About how many training posts share_of keeps (give or take a post per category)."""
    return train_posts if share >= 1 else max(1, round(share * train_posts))

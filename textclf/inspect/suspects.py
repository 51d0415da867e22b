"""Suspect labels: the test texts whose given label a network that never saw it doubts most, scored
by networks trained on the training texts and the test set's other folds (K-fold, as confident
learning does). A suspect is a text to read, not proof."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus
from textclf.learn.features import fit_features
from textclf.learn.pipeline import train_on
from textclf.learn.train import OptimizerFor, predict_logits

FOLDS = 5
SUSPECT_DOUBT = 3.0  # a label given under 5% (e^-3) out of sample: what the model card counts


@dataclass(frozen=True)
class Suspect:
    position: int  # in the corpus's test texts
    given: str
    guess: str
    score: float  # doubt: minus the log of the out-of-sample probability of the given label


def out_of_sample_log_probabilities(
    config: TrainConfig,
    corpus: Corpus,
    folds: int = FOLDS,
    on_fold: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer_for: OptimizerFor | None = None,
) -> np.ndarray:
    """(test texts, classes) log-probabilities, each row from the network trained without that
    text's label (logs: a label believed at 1e-12 and one at 1e-30 stay apart). Folds are
    stratified, seeded by config.seed; on_fold(done, folds) after each, its network let go."""
    from sklearn.model_selection import StratifiedKFold

    if len(corpus.train_texts) != len(corpus.train_labels):
        raise ValueError("the suspect search needs the training texts, not only their vectors")
    labels = np.asarray(corpus.test_labels)
    smallest = np.bincount(labels, minlength=len(corpus.label_names)).min()
    folds = max(2, min(folds, int(smallest)))
    if smallest < 2:
        raise ValueError("each category needs at least two test texts to search for suspects")
    splitter = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
    probabilities = np.zeros((len(labels), len(corpus.label_names)), dtype=np.float64)
    for done, (rest, held) in enumerate(splitter.split(np.zeros(len(labels)), labels), 1):
        fold = Corpus(
            train_texts=corpus.train_texts + [corpus.test_texts[i] for i in rest],
            train_labels=np.concatenate([corpus.train_labels, labels[rest]]),
            test_texts=[corpus.test_texts[i] for i in held],
            test_labels=labels[held],
            label_names=corpus.label_names,
            name=corpus.name,
        )
        features = fit_features(fold, config.features, config.max_features)
        trained = train_on(
            config, fold, features, should_stop=should_stop, optimizer_for=optimizer_for
        )
        logits = predict_logits(trained.model, features.X_test).double()
        probabilities[held] = logits.log_softmax(1).numpy()
        del fold, features, trained, logits  # before the next fold's vocabulary, not after it
        if on_fold is not None:
            on_fold(done, folds)
    return probabilities


def rank_suspects(
    log_probabilities: np.ndarray,
    labels: np.ndarray,
    label_names: tuple[str, ...],
    top: int | None = None,
) -> list[Suspect]:
    """The texts the out-of-sample network answers otherwise than their label, the least
    believed label first."""
    labels = np.asarray(labels)
    doubt = -log_probabilities[np.arange(len(labels)), labels]
    guesses = log_probabilities.argmax(1)
    doubted = np.flatnonzero(guesses != labels)
    order = doubted[np.argsort(-doubt[doubted], kind="stable")][:top]
    return [
        Suspect(int(i), label_names[labels[i]], label_names[guesses[i]], float(doubt[i]))
        for i in order
    ]


def count_suspects(suspects: list[Suspect]) -> int:
    """How many of the ranked texts have a label the network gives under 5%."""
    return sum(s.score > SUSPECT_DOUBT for s in suspects)

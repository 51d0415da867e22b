import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.runs import run
from textclf.learn import pipeline
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.train import train


def test_tutorial_network_reaches_the_accuracy_target(corpus, features, tutorial_run):
    accuracies = [tutorial_run.report.accuracy]
    for seed in (1, 2):
        accuracies.append(run(replace(TUTORIAL, seed=seed), corpus, features).report.accuracy)
    assert np.median(accuracies) >= 0.94, accuracies


def test_the_tutorial_alone_trains_with_torch_adam_to_the_same_accuracy(corpus, features):
    """textclf.learn on its own, as a reader runs it: pipeline.run with PyTorch's Adam stepping
    every weight, no textclf.fast. It learns as the fast path does, within the seeds' noise."""
    alone = pipeline.run(TUTORIAL, corpus, features)
    assert alone.backend == "PyTorch (Adam, full table)"
    assert alone.snapshots is None  # watching is the panels' (inspect.snapshots.watched_run)
    assert alone.report.accuracy >= 0.94, alone.report.accuracy
    assert alone.history[0].loss == pytest.approx(math.log(3), abs=0.1)


def test_same_config_gives_the_same_numbers(corpus, features):
    config = replace(TUTORIAL, epochs=3, dropout=0.2)
    first = run(config, corpus, features)
    again = run(config, corpus, features)
    assert [(r.loss, r.test_accuracy) for r in first.history] == [
        (r.loss, r.test_accuracy) for r in again.history
    ]
    assert np.array_equal(first.test_probabilities, again.test_probabilities)
    other_seed = run(replace(config, seed=7), corpus, features)
    assert [r.loss for r in other_seed.history] != [r.loss for r in first.history]


def test_on_epoch_gets_one_record_per_epoch_from_before_the_first_step(tutorial_run):
    history = tutorial_run.history
    assert [r.epoch for r in history] == list(range(0, 11))
    # epoch 0 is the seeded network, which has learned nothing: about ln 3 for three groups
    assert history[0].loss == pytest.approx(math.log(3), abs=0.1) and history[0].seconds == 0
    assert history[-1].loss < history[0].loss
    assert all(0 <= r.train_accuracy <= 1 and 0 <= r.test_accuracy <= 1 for r in history)
    assert all(a.seconds < b.seconds for a, b in zip(history, history[1:], strict=False))
    assert tutorial_run.train_seconds >= history[-1].seconds


def test_should_stop_ends_training_between_epochs(corpus, features):
    seen = []
    trained = train(
        TUTORIAL,
        features.X_train,
        corpus.train_labels,
        features.X_test,
        corpus.test_labels,
        3,
        on_epoch=seen.append,
        should_stop=lambda: len(seen) >= 3,  # epoch 0, then two trained
    )
    assert trained.stopped and [r.epoch for r in trained.history] == [0, 1, 2]


def test_layers_dropout_and_tfidf_train(corpus):
    from textclf.learn.features import fit_features

    tfidf = fit_features(corpus, "tfidf", max_features=8000)
    config = replace(
        TUTORIAL, features="tfidf", max_features=8000, layers=3, hidden=64, dropout=0.3, epochs=3
    )
    result = run(config, corpus, tfidf)
    assert result.report.accuracy > 0.9


def test_each_epoch_records_every_categorys_test_accuracy(tutorial_run, corpus):
    last = tutorial_run.history[-1]
    assert len(last.test_recall) == 3
    recall = [s.recall for s in tutorial_run.report.per_class]
    assert np.allclose(last.test_recall, recall)
    weights = np.bincount(corpus.test_labels) / len(corpus.test_labels)
    assert np.isclose(np.dot(weights, last.test_recall), last.test_accuracy)


def test_sessions_training_at_once_each_get_what_they_would_alone(corpus, features):
    """Two threads (as two browser sessions) train at the same moment, with dropout drawing
    random masks all along: each gets exactly the network it gets alone."""
    configs = [replace(TUTORIAL, epochs=3, dropout=0.5, seed=s, hidden=32) for s in (1, 2)]

    def fit(config):
        return run(config, corpus, features)

    alone = [fit(c) for c in configs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(fit, configs))
    for a, b in zip(alone, together, strict=True):
        assert [r.loss for r in a.history] == [r.loss for r in b.history]
        assert np.array_equal(a.test_probabilities, b.test_probabilities)
    assert alone[0].history[-1].loss != alone[1].history[-1].loss  # the seeds do differ


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "gelu"])
def test_every_activation_learns_the_tutorial_groups(corpus, features, activation):
    result = run(replace(TUTORIAL, activation=activation, epochs=4), corpus, features)
    assert result.config.activation == activation
    assert result.report.accuracy > 0.9, (activation, result.report.accuracy)


def test_sgd_with_momentum_learns_and_says_what_trained_it(corpus, features):
    result = run(replace(TUTORIAL, optimizer="sgd", lr=0.01, epochs=5), corpus, features)
    assert result.backend == "PyTorch (SGD, full table)"
    assert result.history[-1].loss < result.history[0].loss
    assert result.report.accuracy > 0.85


def test_weight_decay_keeps_the_weights_smaller(corpus, features):
    config = replace(TUTORIAL, epochs=3, hidden=32)
    plain, decayed = (
        run(replace(config, weight_decay=decay), corpus, features) for decay in (0.0, 0.01)
    )
    assert "full table" in decayed.backend and "row-wise" in plain.backend
    norm = [r.classifier.model.first.weight.norm().item() for r in (plain, decayed)]
    assert norm[1] < 0.8 * norm[0], norm
    assert decayed.report.accuracy > 0.85


def test_a_smaller_share_of_the_training_posts_is_used_per_category(corpus, features):
    from textclf.learn.train import share_of

    X, y = share_of(features.X_train, corpus.train_labels, 0.2, seed=0)
    counts, full = np.bincount(y), np.bincount(corpus.train_labels)
    assert np.all(np.abs(counts - 0.2 * full) <= 1)
    rows = {features.X_train[i].indices.tobytes() for i in range(features.X_train.shape[0])}
    assert all(X[i].indices.tobytes() in rows for i in range(X.shape[0]))  # real posts, not new
    small = run(replace(TUTORIAL, train_share=0.1, epochs=5), corpus, features)
    assert 0.6 < small.report.accuracy < 0.96  # fewer posts, still learning
    assert small.train_seconds < run(replace(TUTORIAL, epochs=5), corpus, features).train_seconds

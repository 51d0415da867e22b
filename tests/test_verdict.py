"""What a run shows, said in plain words, checked on real runs of the tutorial's groups."""

import itertools
import math

import numpy as np
import pytest

from tests.runs import run
from textclf.inspect.verdict import (
    accuracy_noise,
    against_yardstick,
    loss_blew_up,
    one_category,
    overfitting,
)
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.train import EpochRecord


@pytest.fixture(scope="module")
def too_fast(corpus, features):
    """Adam at learning rate 1 through four layers: every step jumps past what the last one
    learned (on the tutorial's two layers it still reaches 83%)."""
    return run(replace(TUTORIAL, lr=1.0, layers=4), corpus, features)


def test_a_network_that_answers_one_category_is_told_so_with_its_cause(too_fast):
    predicted = too_fast.test_probabilities.argmax(1)
    top = np.bincount(predicted).argmax()
    share = (predicted == top).mean()
    assert share >= 0.9  # what the sentence is about, on the real run
    said = one_category(predicted, too_fast.report.labels, too_fast.config)
    assert said.startswith(
        f"The network answers one category for everything: {too_fast.report.labels[top]} for "
        f"{share:.0%} of the test posts."
    )
    assert "the learning rate (1) is too high" in said


def test_a_network_that_has_not_learned_yet_is_told_to_train_more(corpus, features):
    barely = run(replace(TUTORIAL, optimizer="sgd", lr=1e-5, epochs=1), corpus, features)
    said = one_category(barely.test_probabilities.argmax(1), barely.report.labels, barely.config)
    assert "it has not learned yet: train more epochs, or raise the learning rate" in said


def test_a_network_that_learned_gets_no_such_sentence(tutorial_run):
    predicted = tutorial_run.test_probabilities.argmax(1)
    assert one_category(predicted, tutorial_run.report.labels, tutorial_run.config) == ""
    assert loss_blew_up(tutorial_run.history, tutorial_run.config) == ""


def test_a_loss_that_blows_up_is_blamed_on_the_learning_rate(corpus, features):
    """The tutorial at learning rate 1 still ends near 83%: its loss tells what went wrong."""
    steep = run(replace(TUTORIAL, lr=1.0), corpus, features)
    start, worst = steep.history[0], max(steep.history[1:], key=lambda r: r.loss)
    assert start.epoch == 0 and math.isclose(start.loss, math.log(3), rel_tol=0.05)
    assert worst.loss > 10 * start.loss  # what the sentence is about, on the real run
    said = loss_blew_up(steep.history, steep.config)
    assert said.startswith(
        f"The training loss blew up: from {start.loss:.2f} before any step (a network that has "
        f"learned nothing) to {worst.loss:,.0f} at epoch {worst.epoch}"
    )
    after = [r.loss for r in steep.history[worst.epoch :]]
    rises = sum(b > a for a, b in itertools.pairwise(after))
    assert f"went up again in {rises} of the" in said if rises else "again" not in said
    assert said.endswith("The learning rate (1) is too high: each step jumps past what it "
                         "learned. Try the tutorial's 0.01.")  # fmt: skip


def records(*losses: float) -> list[EpochRecord]:
    return [EpochRecord(epoch, loss, 0.5, 0.5, float(epoch)) for epoch, loss in enumerate(losses)]


def test_a_loss_that_became_no_number_counts_as_blown_up():
    said = loss_blew_up(records(1.1, 0.9, float("nan")), replace(TUTORIAL, lr=0.5))
    assert "to no number at all at epoch 2." in said and "Try the tutorial's 0.01." in said


def test_below_the_tutorials_rate_the_cure_is_a_smaller_one_and_rises_are_counted_after():
    said = loss_blew_up(records(1.1, 50.0, 20.0, 30.0, 10.0), replace(TUTORIAL, lr=0.005))
    assert "to 50 at epoch 1; it went up again in 1 of the 3 epochs after." in said
    assert said.endswith("Try a smaller one than 0.005.")
    assert loss_blew_up(records(1.1, 5.0, 0.3), TUTORIAL) == ""  # up 5x, then learning


def test_overfitting_is_named_with_the_epoch_where_the_test_accuracy_peaked(tutorial_run):
    history = tutorial_run.history
    last, best = history[-1], max(history, key=lambda r: r.test_accuracy)
    said = overfitting(history, 1180)
    assert last.train_accuracy - last.test_accuracy > 2 * accuracy_noise(last.test_accuracy, 1180)
    assert said.startswith(
        f"It fits the training posts ({last.train_accuracy:.1%}) better than the test posts it "
        f"never saw ({last.test_accuracy:.1%})"
    )
    if best.test_accuracy > last.test_accuracy:
        assert f"peaked at epoch {best.epoch} ({best.test_accuracy:.1%})" in said
    assert overfitting(history[:0], 1180) == ""


def test_the_yardstick_comparison_says_whether_it_is_within_the_noise():
    # 95.76% and 96.78% on 1,180 posts: 1.02 points apart, an interval of about +-1.6 points
    said = against_yardstick(0.9576, 0.9678, 1180)
    half = 1.96 * math.sqrt((0.9576 * 0.0424 + 0.9678 * 0.0322) / 1180) * 100
    assert said == (
        "The network scores 1.02 points below ComplementNB, scikit-learn's naive Bayes: within "
        f"the noise of 1,180 test posts (95% interval {-1.02 - half:+.1f} to "
        f"{-1.02 + half:+.1f} points)."
    )
    assert "more than the noise of 60 test posts" in against_yardstick(0.95, 0.60, 60)

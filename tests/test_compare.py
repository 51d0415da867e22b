import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix

from tests.runs import run
from textclf.inspect.compare import compare_runs
from textclf.learn.config import TUTORIAL, replace
from textclf.learn.data import Corpus
from textclf.learn.features import fit_features


@pytest.fixture(scope="module")
def weak_run(corpus, features):
    """A small network stopped early: it parts from the tutorial's on many posts."""
    return run(replace(TUTORIAL, layers=1, hidden=8, lr=1e-3, epochs=1), corpus, features)


def test_two_runs_compared_post_by_post(tutorial_run, weak_run, corpus):
    comparison = compare_runs(tutorial_run, weak_run)
    y = corpus.test_labels
    answer_a = tutorial_run.test_probabilities.argmax(1)
    answer_b = weak_run.test_probabilities.argmax(1)
    assert comparison.accuracy == (accuracy_score(y, answer_a), accuracy_score(y, answer_b))
    assert np.array_equal(comparison.confusion[0], confusion_matrix(y, answer_a))
    assert np.array_equal(comparison.confusion[1], confusion_matrix(y, answer_b))
    assert comparison.differing == ("hidden", "layers", "lr", "epochs")
    assert [s.name for s in comparison.settings if s.differs] == list(comparison.differing)
    assert comparison.labels == corpus.label_names

    parted = np.flatnonzero(answer_a != answer_b)
    assert len(parted) > 10
    assert [d.index for d in comparison.disagreements] == parted.tolist()
    for d in comparison.disagreements:
        assert d.true_label == y[d.index]
        assert (d.answer_a, d.answer_b) == (answer_a[d.index], answer_b[d.index])
        assert d.probability_a == tutorial_run.test_probabilities[d.index].max()
        assert d.probability_b == weak_run.test_probabilities[d.index].max()
        expected = "a" if answer_a[d.index] == y[d.index] else "b" if answer_b[d.index] == y[
            d.index] else "neither"  # fmt: skip
        assert d.right == expected
    right_a, right_b = answer_a == y, answer_b == y
    assert comparison.only_a_right == np.sum(right_a & ~right_b) > 0
    assert comparison.only_b_right == np.sum(right_b & ~right_a)
    assert comparison.only_a_right == sum(d.right == "a" for d in comparison.disagreements)
    assert comparison.both_right + comparison.both_wrong + comparison.only_a_right + (
        comparison.only_b_right) == len(y)  # fmt: skip

    mirrored = compare_runs(weak_run, tutorial_run)
    assert (mirrored.only_a_right, mirrored.only_b_right) == (
        comparison.only_b_right, comparison.only_a_right)  # fmt: skip
    assert compare_runs(tutorial_run, tutorial_run).disagreements == ()


def test_runs_on_other_test_posts_are_refused(tutorial_run):
    texts = ["the pitcher threw a strike", "the rocket reached orbit"] * 3
    labels = np.array([0, 1] * 3)
    tiny = Corpus(texts, labels, texts[:2], labels[:2], ("baseball", "space"), name="tiny")
    other = run(replace(TUTORIAL, batch_size=2, epochs=1), tiny, fit_features(tiny))
    with pytest.raises(ValueError, match="different test posts"):
        compare_runs(tutorial_run, other)
    reworded = Corpus(texts, labels, ["the pitcher threw", "the rocket"], labels[:2],
                      ("baseball", "space"), name="tiny")  # fmt: skip
    same_labels = run(replace(TUTORIAL, batch_size=2, epochs=1), reworded, fit_features(reworded))
    with pytest.raises(ValueError, match="different test posts"):
        compare_runs(same_labels, other)

"""Calibration: the reliability diagram's bins and the expected calibration error, checked
against a reference written out here from the definition, on real runs' probabilities."""

import numpy as np
import pytest

from textclf.inspect.insight import baseline_report
from textclf.learn.calibration import reliability


def reference(probabilities, labels, bins=10):
    """ECE as Guo et al. define it: equal-width bins of the top probability, [lo, hi) with 1 in
    the last; the posts-weighted mean of |accuracy - confidence|."""
    confidence = probabilities.max(1)
    right = probabilities.argmax(1) == labels
    rows, ece = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = (confidence >= lo) & ((confidence < hi) if b < bins - 1 else (confidence <= hi))
        if inside.any():
            acc, conf = right[inside].mean(), confidence[inside].mean()
            rows.append((int(inside.sum()), conf, acc))
            ece += inside.mean() * abs(acc - conf)
    return rows, ece


def test_the_bins_and_the_error_match_the_definition(tutorial_run):
    probabilities, labels = tutorial_run.test_probabilities, tutorial_run.test_labels
    found = reliability(probabilities, labels)
    rows, ece = reference(probabilities, labels)
    assert [(b.count, b.confidence, b.accuracy) for b in found.bins] == [
        (n, pytest.approx(c), pytest.approx(a)) for n, c, a in rows
    ]
    assert found.ece == pytest.approx(ece)
    assert sum(b.count for b in found.bins) == len(labels)
    summary = tutorial_run.summary()
    assert summary["ece"] == pytest.approx(ece)
    assert [r["count"] for r in summary["reliability"]] == [n for n, _, _ in rows]


def test_a_certain_answer_falls_in_the_last_bin_and_a_perfect_one_scores_zero():
    probabilities = np.array([[1.0, 0.0], [0.0, 1.0], [0.55, 0.45]])
    found = reliability(probabilities, np.array([0, 1, 1]))
    assert [(b.low, b.count) for b in found.bins] == [(0.5, 1), (0.9, 2)]
    assert found.bin_of(1.0).count == 2 and found.bin_of(0.3) is None
    assert reliability(probabilities[:2], np.array([0, 1])).ece == 0


def test_complementnb_has_its_own_calibration(corpus, features):
    report = baseline_report(corpus, features)
    assert 0 <= report.reliability.ece <= 1
    assert sum(b.count for b in report.reliability.bins) == len(corpus.test_labels)

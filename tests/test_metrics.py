import numpy as np
from sklearn.metrics import f1_score

from textclf.learn.metrics import evaluate


def test_report_matches_the_test_predictions(corpus, tutorial_run):
    report = tutorial_run.report
    predicted = tutorial_run.test_probabilities.argmax(1)
    truth = corpus.test_labels
    assert report.accuracy == np.mean(predicted == truth)
    assert report.confusion.sum() == 1180
    assert np.trace(report.confusion) == np.sum(predicted == truth)
    assert report.confusion[0, 1] == np.sum((truth == 0) & (predicted == 1))
    assert np.allclose([s.f1 for s in report.per_class], f1_score(truth, predicted, average=None))


def test_one_vs_rest_counts_add_up(tutorial_run):
    report = tutorial_run.report
    for i, scores in enumerate(report.per_class):
        assert scores.true_positives == report.confusion[i, i]
        assert scores.false_negatives == report.confusion[i].sum() - report.confusion[i, i]
        assert scores.false_positives == report.confusion[:, i].sum() - report.confusion[i, i]
        total = scores.true_positives + scores.false_positives + scores.false_negatives
        assert total + scores.true_negatives == 1180
        assert scores.support == report.confusion[i].sum()


def test_a_class_never_predicted_scores_zero_not_nan():
    report = evaluate(np.array([0, 1, 2]), np.array([0, 0, 0]), ("a", "b", "c"))
    assert report.per_class[1].precision == 0.0 and report.per_class[1].recall == 0.0

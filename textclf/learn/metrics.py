"""Scores of a classifier's predictions: pure functions over label arrays, via sklearn.metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)


@dataclass(frozen=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int


@dataclass(frozen=True)
class Report:
    accuracy: float
    labels: tuple[str, ...]
    confusion: np.ndarray  # (classes, classes): row = true label, column = predicted label
    per_class: tuple[ClassScores, ...]
    reliability: object = None  # calibration.Reliability, where the scorer had probabilities

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "labels": list(self.labels),
            "confusion_matrix": self.confusion.tolist(),
            "per_class": {
                s.label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                    "tp": s.true_positives,
                    "fp": s.false_positives,
                    "fn": s.false_negatives,
                    "tn": s.true_negatives,
                }
                for s in self.per_class
            },
        }


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...]) -> Report:
    """Accuracy, the confusion matrix and each label's one-vs-rest counts and scores."""
    ids = np.arange(len(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    one_vs_rest = multilabel_confusion_matrix(
        y_true, y_pred, labels=ids
    )  # (C, 2, 2): [[TN, FP], [FN, TP]]
    per_class = tuple(
        ClassScores(
            label=label,
            precision=float(precision[i]),
            recall=float(recall[i]),
            f1=float(f1[i]),
            support=int(support[i]),
            true_positives=int(one_vs_rest[i, 1, 1]),
            false_positives=int(one_vs_rest[i, 0, 1]),
            false_negatives=int(one_vs_rest[i, 1, 0]),
            true_negatives=int(one_vs_rest[i, 0, 0]),
        )
        for i, label in enumerate(labels)
    )
    return Report(
        accuracy=float(accuracy_score(y_true, y_pred)),
        labels=tuple(labels),
        confusion=confusion_matrix(y_true, y_pred, labels=ids),
        per_class=per_class,
    )

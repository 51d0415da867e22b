"""Two runs side by side on the same test posts, as LIT compares two models: which settings
differ, how each scores, and the posts on which their answers part."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from textclf.learn.config import config_fields
from textclf.learn.pipeline import Run


@dataclass(frozen=True)
class Setting:
    name: str
    a: object
    b: object

    @property
    def differs(self) -> bool:
        return self.a != self.b


@dataclass(frozen=True)
class Disagreement:
    index: int  # into the test posts
    true_label: int
    answer_a: int
    answer_b: int
    probability_a: float  # run a's probability for its own answer
    probability_b: float
    right: str  # "a", "b" or "neither"


@dataclass(frozen=True)
class Comparison:
    labels: tuple[str, ...]
    settings: tuple[Setting, ...]  # every setting of both configs, in TrainConfig's order
    differing: tuple[str, ...]  # the names of those that differ
    accuracy: tuple[float, float]
    confusion: tuple[np.ndarray, np.ndarray]  # (classes, classes) each, row true, column answer
    disagreements: tuple[Disagreement, ...]  # by test post, in order
    only_a_right: int  # posts a answered right that b got wrong
    only_b_right: int
    both_right: int
    both_wrong: int


def compare_runs(a: Run, b: Run) -> Comparison:
    """a and b on each of their shared test posts; ValueError if they were not scored on the
    same posts."""
    if not same_test_posts(a, b):
        raise ValueError(
            "These runs were scored on different test posts (other categories or other data), "
            "so they cannot be compared post by post."
        )
    y = a.test_labels
    answer_a, answer_b = a.test_probabilities.argmax(1), b.test_probabilities.argmax(1)
    right_a, right_b = answer_a == y, answer_b == y
    rows = np.arange(len(y))
    top_a, top_b = a.test_probabilities[rows, answer_a], b.test_probabilities[rows, answer_b]
    disagreements = tuple(
        Disagreement(
            index=int(i),
            true_label=int(y[i]),
            answer_a=int(answer_a[i]),
            answer_b=int(answer_b[i]),
            probability_a=float(top_a[i]),
            probability_b=float(top_b[i]),
            right="a" if right_a[i] else "b" if right_b[i] else "neither",
        )
        for i in np.flatnonzero(answer_a != answer_b)
    )
    settings = tuple(
        Setting(name, getattr(a.config, name), getattr(b.config, name)) for name in config_fields()
    )
    return Comparison(
        labels=a.report.labels,
        settings=settings,
        differing=tuple(s.name for s in settings if s.differs),
        accuracy=(a.report.accuracy, b.report.accuracy),
        confusion=(a.report.confusion, b.report.confusion),
        disagreements=disagreements,
        only_a_right=int((right_a & ~right_b).sum()),
        only_b_right=int((right_b & ~right_a).sum()),
        both_right=int((right_a & right_b).sum()),
        both_wrong=int((~right_a & ~right_b).sum()),
    )


def same_test_posts(a: Run, b: Run) -> bool:
    """Whether a and b were scored on the same test posts, in the same order, with the same
    labels."""
    if a.test_labels is None or b.test_labels is None or a.report.labels != b.report.labels:
        return False
    if a.test_posts != b.test_posts:
        return False
    return a.test_probabilities.shape == b.test_probabilities.shape and np.array_equal(
        a.test_labels, b.test_labels
    )

"""What a run shows, in a teacher's words: the network answers one category for everything, it fits
the training posts better than the test posts, a change since the last run is within the noise
between seeds, it beats or trails the yardstick by more than the test set's noise."""

from __future__ import annotations

import itertools
import math

import numpy as np

from textclf.learn.config import TUTORIAL, TrainConfig
from textclf.learn.train import EpochRecord

ONE_CATEGORY_SHARE = 0.9  # of the test posts given one answer: the network has stopped reading
BLOWN_UP = 10.0  # times the untrained network's loss: steps that overshoot, not learning
Z95 = 1.96  # a 95% interval


def one_category(predicted: np.ndarray, labels: tuple[str, ...], config: TrainConfig) -> str:
    """A sentence when the network gives (almost) every test post the same answer, with its
    likely cause; else ""."""
    if not len(predicted):
        return ""
    counts = np.bincount(predicted, minlength=len(labels))
    top = int(counts.argmax())
    share = counts[top] / len(predicted)
    if share < ONE_CATEGORY_SHARE:
        return ""
    if (config.optimizer == "adam" and config.lr >= 0.1) or config.lr >= 0.5:
        cause = (
            f"the learning rate ({config.lr:g}) is too high: each step jumps past what it "
            "learned, until every post gets the same answer. Try 0.01."
        )
    else:
        cause = "it has not learned yet: train more epochs, or raise the learning rate."
    return (
        f"The network answers one category for everything: {labels[top]} for {share:.0%} of "
        f"the test posts. Most likely {cause}"
    )


def what_went_wrong(
    predicted: np.ndarray, labels: tuple[str, ...], history: list[EpochRecord], config: TrainConfig
) -> str:
    """One sentence for a run that failed, or "": one category for everything names the cause
    itself, so the loss is told only when that is not the case."""
    return one_category(predicted, labels, config) or loss_blew_up(history, config)


def loss_blew_up(history: list[EpochRecord], config: TrainConfig) -> str:
    """A sentence when the training loss rose far above the untrained network's (epoch 0), with
    how often it rose; else "". At a learning rate too high a network may still end up fair,
    so its accuracy alone does not tell; its loss does."""
    if len(history) < 2 or history[0].epoch != 0:
        return ""
    start = history[0]
    worst = max(history[1:], key=lambda r: r.loss if math.isfinite(r.loss) else math.inf)
    if math.isfinite(worst.loss) and worst.loss <= BLOWN_UP * start.loss:
        return ""
    later = history[worst.epoch :]  # epochs count from 0, one record each
    rises = sum(b.loss > a.loss for a, b in itertools.pairwise(later))
    often = f"; it went up again in {rises} of the {len(later) - 1} epochs after" if rises else ""
    shown = f"{worst.loss:,.0f}" if math.isfinite(worst.loss) else "no number at all"
    cure = (
        f"Try the tutorial's {TUTORIAL.lr:g}."
        if config.lr > TUTORIAL.lr
        else f"Try a smaller one than {config.lr:g}."
    )
    return (
        f"The training loss blew up: from {start.loss:.2f} before any step (a network that has "
        f"learned nothing) to {shown} at epoch {worst.epoch}{often}. The learning rate "
        f"({config.lr:g}) is too high: each step jumps past what it learned. {cure}"
    )


def overfitting(history: list[EpochRecord], test_posts: int) -> str:
    """A sentence when the training posts are fitted clearly better than the test posts, with
    the epoch where the test accuracy peaked; else ""."""
    if not history or not test_posts:
        return ""
    last = history[-1]
    gap = last.train_accuracy - last.test_accuracy
    if gap <= 2 * accuracy_noise(last.test_accuracy, test_posts):
        return ""
    best = max(history, key=lambda r: r.test_accuracy)
    peak = (
        f" Its test accuracy peaked at epoch {best.epoch} ({best.test_accuracy:.1%})."
        if best.epoch != last.epoch and best.test_accuracy > last.test_accuracy
        else ""
    )
    return (
        f"It fits the training posts ({last.train_accuracy:.1%}) better than the test posts it "
        f"never saw ({last.test_accuracy:.1%}): the gap is overfitting.{peak}"
    )


def against_yardstick(network: float, yardstick: float, test_posts: int) -> str:
    """How the network compares with ComplementNB on the same test posts, said with the 95%
    interval that the test set's size allows."""
    se = math.sqrt((network * (1 - network) + yardstick * (1 - yardstick)) / max(test_posts, 1))
    gap, half = (network - yardstick) * 100, Z95 * se * 100
    interval = f"95% interval {gap - half:+.1f} to {gap + half:+.1f} points"
    side = "above" if gap >= 0 else "below"
    if abs(gap) <= half:
        said = "within the noise of"
    else:
        said = "more than the noise of"
    return (
        f"The network scores {abs(gap):.2f} points {side} ComplementNB, scikit-learn's naive "
        f"Bayes: {said} {test_posts:,} test posts ({interval})."
    )


def could_be_noise(change: float, accuracy: float, test_posts: int) -> bool:
    """Whether a change of test accuracy is small enough that seeds alone might explain it:
    within twice the 95% interval of the test set's size (a seed moves a few tenths of a point;
    a change of several points needs no two more trainings to be told apart from it)."""
    return abs(change) <= 2 * Z95 * accuracy_noise(accuracy, test_posts)


def against_seeds(change: float, seed_accuracies: dict[int, float]) -> str:
    """Whether a change of test accuracy since the last run (a fraction) stands out of the
    spread the same settings show from one seed to another (seed -> test accuracy)."""
    low, high = min(seed_accuracies.values()), max(seed_accuracies.values())
    seeds = ", ".join(str(seed) for seed in sorted(seed_accuracies))
    spread = (
        f"the same settings with seeds {seeds} score {low:.1%} to {high:.1%}, a spread of "
        f"{(high - low) * 100:.2f} points"
    )
    if abs(change) <= high - low:
        return (
            f"The change since the last run ({change * 100:+.2f} points) is within the noise "
            f"between seeds: {spread}. It may be chance, not the setting."
        )
    return (
        f"The change since the last run ({change * 100:+.2f} points) is larger than the noise "
        f"between seeds: {spread}."
    )


def accuracy_noise(accuracy: float, posts: int) -> float:
    """The standard error of an accuracy measured on that many posts."""
    return math.sqrt(max(accuracy * (1 - accuracy), 1e-12) / max(posts, 1))

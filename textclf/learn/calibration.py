"""Does "90%" mean right 9 times in 10? The test posts binned by the network's stated
confidence (its top probability), each bin's share answered right beside it, and the expected
calibration error: the gap between the two, averaged over the posts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10  # of equal width over [0, 1]


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int  # test posts whose top probability falls in [low, high)
    confidence: float  # their mean top probability
    accuracy: float  # the share of them answered right

    def to_dict(self) -> dict:
        return {"count": self.count, "confidence": self.confidence, "accuracy": self.accuracy}


@dataclass(frozen=True)
class Reliability:
    bins: tuple[Bin, ...]  # the bins that hold posts, lowest confidence first
    ece: float  # sum over bins of count / posts x |accuracy - confidence|

    def bin_of(self, probability: float) -> Bin | None:
        """The bin a stated probability falls in, if any test post fell there too."""
        return next((b for b in self.bins if b.low <= probability < b.high or
                     (b.high == 1 and probability == 1)), None)  # fmt: skip


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> Reliability:
    """probabilities: (posts, classes), each row summing to 1; labels: (posts,) the true ids."""
    confidence = probabilities.max(1)
    right = probabilities.argmax(1) == np.asarray(labels)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)  # [low, high), 1 in last
    found, ece = [], 0.0
    for b in range(bins):
        members = which == b
        count = int(members.sum())
        if not count:
            continue
        mean_confidence = float(confidence[members].mean())
        accuracy = float(right[members].mean())
        found.append(Bin(float(edges[b]), float(edges[b + 1]), count, mean_confidence, accuracy))
        ece += count / len(labels) * abs(accuracy - mean_confidence)
    return Reliability(tuple(found), ece)

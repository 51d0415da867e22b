"""Repeated splits: a person's file split again with other seeds, the network and the
ComplementNB yardstick trained on each, so that a score on a few dozen test texts comes with
the spread that another split would give."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from textclf.inspect.insight import baseline_report
from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus
from textclf.learn.pipeline import load_and_vectorise, run
from textclf.learn.train import OptimizerFor

SPLITS = 5


@dataclass(frozen=True)
class SplitScores:
    network: tuple[float, ...]  # test accuracy on each split, split seed 0 first
    yardstick: tuple[float, ...]  # ComplementNB's on the same splits and features

    def sentence(self) -> str:
        def said(scores: tuple[float, ...]) -> str:
            return f"{statistics.mean(scores):.1%} ± {statistics.stdev(scores) * 100:.1f} points"

        return (
            f"Over {len(self.network)} splits of the file (split seeds 0 to "
            f"{len(self.network) - 1}), mean ± standard deviation: the network "
            f"{said(self.network)}, ComplementNB {said(self.yardstick)}."
        )


def repeated_splits(
    config: TrainConfig,
    corpus_for_split: Callable[[int], Corpus],
    splits: int = SPLITS,
    on_split: Callable[[int, int], None] | None = None,
    optimizer_for: OptimizerFor | None = None,
) -> SplitScores:
    """corpus_for_split(seed): the file split with that seed. on_split(done, splits) after each."""
    network, yardstick = [], []
    for seed in range(splits):
        corpus, features = load_and_vectorise(config, corpus_for_split(seed))
        network.append(run(config, corpus, features, optimizer_for=optimizer_for).report.accuracy)
        yardstick.append(baseline_report(corpus, features).accuracy)
        if on_split is not None:
            on_split(seed + 1, splits)
    return SplitScores(tuple(network), tuple(yardstick))

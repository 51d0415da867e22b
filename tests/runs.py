"""Runs as the app and the command line make them: textclf.fast's optimiser, and the snapshots
that Watch it learn replays. (pipeline.run alone is the tutorial's path: tests/test_train.py.)"""

from textclf.fast.optimizers import make_optimizer
from textclf.inspect.snapshots import watched_run
from textclf.learn.pipeline import Run, load_and_vectorise


def run(config, corpus=None, features=None, **kwargs) -> Run:
    if corpus is None or features is None:
        corpus, features = load_and_vectorise(config, corpus)
    return watched_run(config, corpus, features, optimizer_for=make_optimizer, **kwargs)

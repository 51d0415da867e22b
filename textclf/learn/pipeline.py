"""One training run end to end (data, features, network, scores), shared by the app and the CLI."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from textclf.learn.calibration import Reliability, reliability
from textclf.learn.config import TrainConfig
from textclf.learn.data import Corpus, load_newsgroups
from textclf.learn.features import Features, fit_features
from textclf.learn.metrics import Report, evaluate
from textclf.learn.model import MLP
from textclf.learn.predict import Classifier
from textclf.learn.train import (
    EpochRecord,
    OptimizerFor,
    Trained,
    posts_used,
    predict_logits,
    train,
)

PROBE = "The pitcher threw three strikes and the crowd cheered the home run."  # the tutorial's


@dataclass(eq=False)  # a run is itself: compared by identity, never array by array
class Run:
    config: TrainConfig
    classifier: Classifier
    history: list[EpochRecord]
    train_seconds: float  # the training loop alone
    report: Report  # on the test posts
    test_probabilities: np.ndarray  # (n_test, classes)
    stopped: bool = False
    backend: str = ""  # what trained the word table: C kernels or PyTorch, and which optimiser
    data_name: str = "20 Newsgroups"  # the corpus it learned from
    data_source: object = None  # the app's record of a person's file; None for the newsgroups
    snapshots: object = None  # inspect.snapshots.Snapshots, when a watcher kept them
    test_labels: np.ndarray | None = None  # (n_test,) the true label ids
    test_posts: str = ""  # a digest of the test texts and labels: equal for the same test posts

    def nbytes(self) -> int:
        """What keeping this run costs: its weights, its test probabilities and labels, and its
        snapshots."""
        model = self.classifier.model
        weights = sum(p.numel() * p.element_size() for p in model.parameters())
        kept = self.test_probabilities.nbytes
        kept += 0 if self.test_labels is None else self.test_labels.nbytes
        return weights + kept + (0 if self.snapshots is None else self.snapshots.nbytes())

    def reliability(self) -> Reliability:
        """How far the test posts' stated confidence is from how often they were right."""
        return reliability(self.test_probabilities, self.test_labels)

    def summary(self) -> dict:
        """What `train --json` prints: scores, calibration, timings and the per-epoch history."""
        calibration = self.reliability()
        return {
            **self.report.to_dict(),
            "ece": calibration.ece,
            "reliability": [b.to_dict() for b in calibration.bins],
            "train_seconds": self.train_seconds,
            "epochs_run": self.history[-1].epoch if self.history else 0,
            "stopped_early": self.stopped,
            "backend": self.backend,
            "vocabulary_size": len(self.classifier.vectorizer.vocabulary_),
            "data": self.data_name,
            "history": [record.__dict__ for record in self.history],
            "config": {
                k: list(v) if isinstance(v, tuple) else v for k, v in self.config.__dict__.items()
            },
        }


def load_and_vectorise(
    config: TrainConfig, corpus: Corpus | None = None
) -> tuple[Corpus, Features]:
    """Vectorises the corpus given (a person's own texts), else config's newsgroups. The corpus
    comes back without its training texts: once vectorised nothing reads them, and for all 20
    groups they hold 22 MB that a cached copy or training's peak would carry for nothing."""
    if corpus is None:
        corpus = load_newsgroups(config.categories, config.remove)
    features = fit_features(corpus, config.features, config.max_features)
    return dataclasses.replace(corpus, train_texts=[]), features


def training_problems(config: TrainConfig, features: Features) -> list[str]:
    """What stops config from training on these features, said before any time is spent: a
    batch larger than the training posts it uses. (A host's limits: serve.budget.)"""
    used = posts_used(features.X_train.shape[0], config.train_share)
    if config.batch_size <= used:
        return []
    return [f"batch-size: {config.batch_size:,} is larger than the {used:,} training posts used; "
            f"choose at most {used:,}"]  # fmt: skip


def run(
    config: TrainConfig,
    corpus: Corpus | None = None,
    features: Features | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    optimizer_for: OptimizerFor | None = None,
    on_snapshot: Callable[[MLP, EpochRecord], None] | None = None,
) -> Run:
    """Trains config's network on the corpus (loaded if not given); scores it on the test posts.
    optimizer_for and on_snapshot go to train(): a faster optimiser, a watcher of each epoch."""
    if corpus is None or features is None:
        corpus, features = load_and_vectorise(config, corpus)
    problems = training_problems(config, features)
    if problems:
        raise ValueError("; ".join(problems))
    trained = train_on(
        config,
        corpus,
        features,
        on_epoch=on_epoch,
        should_stop=should_stop,
        optimizer_for=optimizer_for,
        on_snapshot=on_snapshot,
    )
    logits = predict_logits(trained.model, features.X_test)
    probabilities = logits.softmax(dim=1).numpy()
    report = evaluate(corpus.test_labels, probabilities.argmax(1), corpus.label_names)
    classifier = Classifier(trained.model, features.vectorizer, corpus.label_names, config)
    return Run(
        config=config,
        classifier=classifier,
        history=trained.history,
        train_seconds=trained.train_seconds,
        report=report,
        test_probabilities=probabilities,
        stopped=trained.stopped,
        backend=trained.backend,
        data_name=corpus.name,
        test_labels=np.asarray(corpus.test_labels),
        test_posts=digest(corpus),
    )


def train_on(config: TrainConfig, corpus: Corpus, features: Features, **kwargs) -> Trained:
    """train() on a corpus and its features: their posts and labels, each column's seeded row in
    alphabetical order; kwargs go to train()."""
    return train(config, features.X_train, corpus.train_labels, features.X_test,
                 corpus.test_labels, len(corpus.label_names), initial_rows=features.alphabetical,
                 **kwargs)  # fmt: skip


def example_text(corpus: Corpus, own: bool) -> str:
    """The sentence a page follows as the network learns: the tutorial's baseball sentence on
    the newsgroups, the first test text of a person's own file (its first 200 characters)."""
    if not own or not corpus.test_texts:
        return PROBE
    return " ".join(corpus.test_texts[0].split())[:200]


def digest(corpus: Corpus) -> str:
    """A fingerprint of the corpus's test posts, their labels and label names: two runs scored on
    the same posts share it."""
    h = hashlib.sha256()
    for text in corpus.test_texts:
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    h.update(np.asarray(corpus.test_labels, dtype=np.int64).tobytes())
    h.update("\0".join(corpus.label_names).encode("utf-8", "surrogatepass"))
    return h.hexdigest()

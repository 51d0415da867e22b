"""What the trained network learned, beyond single predictions: the words it ties to each category,
whether those come from e-mail headers, where the test posts sit in its last hidden layer, and
a scikit-learn baseline on the same features to measure it against."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.naive_bayes import ComplementNB

from textclf.inspect.snapshots import principal_axes, projected, unit_rows
from textclf.learn.batches import Posts
from textclf.learn.calibration import reliability
from textclf.learn.data import Corpus
from textclf.learn.features import Features, weigh_counts
from textclf.learn.metrics import Report, evaluate
from textclf.learn.pipeline import Run
from textclf.learn.predict import Classifier
from textclf.learn.train import predict_logits

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
YARDSTICK_ALPHA = 0.1  # ComplementNB's smoothing


def top_words(classifier: Classifier, top: int = 10) -> dict[str, list[tuple[str, float]]]:
    """Per category, the words that alone raise its log-probability most over an empty post."""
    vectorizer = classifier.vectorizer
    size = len(vectorizer.vocabulary_)
    alone = weigh_counts(vectorizer, sp.identity(size, format="csr", dtype=np.float32))
    empty = sp.csr_matrix((1, size), dtype=np.float32)
    logits = predict_logits(classifier.model, sp.vstack([empty, alone], format="csr")).double()
    log_probabilities = torch.log_softmax(logits, dim=1).numpy()
    effects = log_probabilities[1:] - log_probabilities[0]  # (V, classes)
    ranked = {}
    for c, label in enumerate(classifier.labels):
        best = np.argsort(-effects[:, c], kind="stable")[:top]
        ranked[label] = [(str(classifier.words[i]), float(effects[i, c])) for i in best]
    return ranked


def header_artefacts(words: list[str], posts: list[str], share: float = 0.5) -> list[str]:
    """The words that come mostly from posts' header blocks (From:, Organization:, addresses,
    host names) rather than from what the posts say: a network leaning on them scores well for
    the wrong reason. Counted over the given posts, header = the lines before the first blank."""
    wanted = set(words)
    in_header = dict.fromkeys(wanted, 0)
    in_body = dict.fromkeys(wanted, 0)
    for post in posts:
        header, _, body = post.partition("\n\n")
        for counts, part in ((in_header, header), (in_body, body)):
            for token in TOKEN.findall(part.lower()):
                if token in wanted:
                    counts[token] += 1
    return [
        w
        for w in words
        if in_header[w] + in_body[w] and in_header[w] >= share * (in_header[w] + in_body[w])
    ]


def hidden_map(classifier: Classifier, X: sp.csr_matrix) -> np.ndarray:
    """Each row's last-hidden-layer activations, scaled to unit length (unit_rows), projected to
    2-D by PCA."""
    model = classifier.model
    model.eval()
    with torch.no_grad():
        hidden = torch.cat([model.hidden_activations(posts) for posts in Posts.chunks(X)])
    hidden = unit_rows(hidden)
    mean, axes, _ = principal_axes(hidden)  # the replay's PCA: both maps drawn alike
    return projected(hidden, mean, axes)


def yardstick(corpus: Corpus, features: Features) -> ComplementNB:
    """ComplementNB fitted on the network's own features and split: the linear yardstick."""
    return ComplementNB(alpha=YARDSTICK_ALPHA).fit(features.X_train, corpus.train_labels)


def _yardstick_scores(corpus: Corpus, features: Features) -> tuple[np.ndarray, Report]:
    probabilities = yardstick(corpus, features).predict_proba(features.X_test)
    return probabilities, evaluate(corpus.test_labels, probabilities.argmax(1), corpus.label_names)


def baseline_report(corpus: Corpus, features: Features) -> Report:
    """The yardstick's scores on the test posts; its calibration rides along
    (Report.reliability)."""
    probabilities, report = _yardstick_scores(corpus, features)
    calibration = reliability(probabilities, corpus.test_labels)
    return dataclasses.replace(report, reliability=calibration)


def yardstick_run(run: Run, corpus: Corpus, features: Features) -> Run:
    """The yardstick in a run's place, on its test posts, so that compare_runs sets the network
    beside it post by post. It has no network: no classifier, history or snapshots."""
    probabilities, report = _yardstick_scores(corpus, features)
    return dataclasses.replace(run, classifier=None, history=[], train_seconds=0.0, report=report,
                               test_probabilities=probabilities, backend="ComplementNB",
                               snapshots=None)  # fmt: skip

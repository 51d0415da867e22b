"""What the trained network learned, beyond single predictions: the words it ties to each category,
whether those are e-mail header artefacts, where the test posts sit in its last hidden layer, and
a scikit-learn baseline on the same features to measure it against."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.decomposition import PCA
from sklearn.naive_bayes import ComplementNB

from textclf.data import Corpus
from textclf.features import Features, weigh_counts
from textclf.metrics import Report, evaluate
from textclf.model import to_csr_tensor
from textclf.predict import Classifier
from textclf.train import predict_logits

# Words of the header block (From:, Organization:, NNTP-Posting-Host:, Lines:, ...) and of mail
# addresses and host names: a network that leans on them scores well for the wrong reason.
HEADER_WORDS = frozenset(
    "edu com org net gov nntp posting host organization lines subject writes article reply "
    "distribution university usa uk ca de cs keywords summary sender expires references".split()
)


def top_words(classifier: Classifier, top: int = 10) -> dict[str, list[tuple[str, float]]]:
    """Per category, the words that alone raise its log-probability most over an empty post."""
    vectorizer = classifier.vectorizer
    size = len(vectorizer.vocabulary_)
    alone = weigh_counts(vectorizer, sp.identity(size, format="csr", dtype=np.float32))
    empty = sp.csr_matrix((1, size), dtype=np.float32)
    logits = predict_logits(classifier.model, sp.vstack([empty, alone], format="csr")).double()
    log_probabilities = torch.log_softmax(logits, dim=1).numpy()
    effects = log_probabilities[1:] - log_probabilities[0]  # (V, classes)
    vocabulary = vectorizer.get_feature_names_out()
    ranked = {}
    for c, label in enumerate(classifier.labels):
        best = np.argsort(-effects[:, c], kind="stable")[:top]
        ranked[label] = [(str(vocabulary[i]), float(effects[i, c])) for i in best]
    return ranked


def header_artefacts(words: list[str]) -> list[str]:
    """The words that come from headers and addresses rather than from what a post says."""
    return [w for w in words if w in HEADER_WORDS or re.search(r"\d", w)]


def hidden_map(classifier: Classifier, X: sp.csr_matrix) -> np.ndarray:
    """Each row's last-hidden-layer activations, scaled to unit length (a long post's counts make
    its activations large without changing their direction), projected to 2-D by PCA."""
    model = classifier.model
    model.eval()
    with torch.no_grad():
        hidden = torch.cat(
            [
                model.hidden_activations(to_csr_tensor(X[i : i + 4096]))
                for i in range(0, X.shape[0], 4096)
            ]
        ).numpy()
    norms = np.linalg.norm(hidden, axis=1, keepdims=True)
    return PCA(n_components=2, random_state=0).fit_transform(hidden / np.maximum(norms, 1e-12))


def baseline_report(corpus: Corpus, features: Features) -> Report:
    """ComplementNB on the network's own features and split: the linear yardstick."""
    model = ComplementNB(alpha=0.1).fit(features.X_train, corpus.train_labels)
    return evaluate(corpus.test_labels, model.predict(features.X_test), corpus.label_names)

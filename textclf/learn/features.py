"""Bag-of-words features: a vocabulary fitted on the training posts only, kept sparse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from textclf.learn.data import Corpus, DataProblem


@dataclass(frozen=True)
class Features:
    vectorizer: CountVectorizer  # or its subclass TfidfVectorizer
    X_train: sp.csr_matrix  # (n_train, vocabulary) float32, columns by document frequency
    X_test: sp.csr_matrix  # (n_test, vocabulary) float32
    alphabetical: np.ndarray | None = None  # each column's place in alphabetical order


def make_vectorizer(kind: str, max_features: int = 0) -> CountVectorizer:
    """Word counts (the tutorial's input) or sublinear TF-IDF; 0 keeps every word."""
    cap = max_features or None
    if kind == "counts":
        return CountVectorizer(max_features=cap, dtype=np.float32)
    if kind == "tfidf":
        # sublinear tf stops one long post's repetitions from dominating its row
        return TfidfVectorizer(max_features=cap, sublinear_tf=True, dtype=np.float32)
    raise ValueError(f"unknown feature kind {kind!r}: choose counts or tfidf")


def vectorizer_for(kind: str, vocabulary: list[str], idf: np.ndarray | None) -> CountVectorizer:
    """A vectorizer fitted with a known vocabulary (and tf-idf's weights), as a saved model's."""
    vectorizer = make_vectorizer(kind)
    vectorizer.set_params(vocabulary={word: i for i, word in enumerate(vocabulary)})
    # asking for its words validates and installs the vocabulary (fit would learn nothing more,
    # and warn of a word with capitals, which it never matches)
    vectorizer.get_feature_names_out()
    if idf is not None:
        vectorizer.idf_ = idf
    return vectorizer


def weigh_counts(vectorizer: CountVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """What vectorizer.transform gives for texts with these word counts: the counts themselves,
    or their sublinear TF-IDF with unit-length rows. Lets callers edit counts, not texts."""
    counts = sp.csr_matrix(counts, dtype=np.float32)
    if not isinstance(vectorizer, TfidfVectorizer):
        return counts
    weighted = counts.copy()
    weighted.data = (1 + np.log(weighted.data)) * vectorizer.idf_[weighted.indices]
    return normalize(weighted).astype(np.float32)


def text_words(vectorizer: CountVectorizer, text: str) -> tuple[list[str], list[str]]:
    """A text's words as the vectorizer reads them, and those of them (repeats kept) its
    vocabulary lacks: what every panel counts as known and unknown."""
    tokens = vectorizer.build_analyzer()(text)
    return tokens, [token for token in tokens if token not in vectorizer.vocabulary_]


def fit_features(corpus: Corpus, kind: str = "counts", max_features: int = 0) -> Features:
    """Fits the vocabulary on the training posts alone, so no test word leaks into training. Columns
    go by document frequency, most common first (ties alphabetical): RowAdam steps the word table's
    first rows as one dense block, and training needs no reordered copy of the matrices."""
    vectorizer = make_vectorizer(kind, max_features)
    try:
        X_train = vectorizer.fit_transform(corpus.train_texts).tocsr()
    except ValueError as error:
        if "empty vocabulary" not in str(error):
            raise
        raise DataProblem(
            "the training texts hold no word of two or more letters or digits: "
            "the network reads words, so give it texts made of words"
        ) from None
    words = X_train.shape[1]
    by_frequency = np.argsort(-np.bincount(X_train.indices, minlength=words), kind="stable")
    rank = np.empty(words, dtype=np.int64)
    rank[by_frequency] = np.arange(words)
    vectorizer.vocabulary_ = {word: int(rank[i]) for word, i in vectorizer.vocabulary_.items()}
    if isinstance(vectorizer, TfidfVectorizer):
        vectorizer.idf_ = vectorizer.idf_[by_frequency]
    X_train = X_train[:, by_frequency].tocsr()
    X_test = vectorizer.transform(corpus.test_texts).tocsr()
    return Features(vectorizer, X_train, X_test, alphabetical=by_frequency)

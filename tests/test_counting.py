"""The fast word counting must give scikit-learn's vectorizers' output exactly."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from tests.realfiles import saying_rows
from textclf.counting import FastCountVectorizer, FastTfidfVectorizer


def _assert_same(reference, fast, train, test):
    expected, got = reference.fit_transform(train), fast.fit_transform(train)
    assert fast.vocabulary_ == reference.vocabulary_
    for a, b in ((expected, got), (reference.transform(test), fast.transform(test))):
        assert type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize(
    "settings",
    [{}, {"max_features": 5000}, {"sublinear_tf": True}, {"lowercase": False}],
    ids=["counts", "capped", "tfidf", "case kept (scikit-learn's path)"],
)
def test_newsgroups_count_exactly_as_scikit_learn(corpus, settings):
    tfidf = settings.get("sublinear_tf", False)
    reference = (TfidfVectorizer if tfidf else CountVectorizer)(dtype=np.float32, **settings)
    fast = (FastTfidfVectorizer if tfidf else FastCountVectorizer)(dtype=np.float32, **settings)
    _assert_same(reference, fast, corpus.train_texts, corpus.test_texts)


def test_non_english_texts_count_exactly_as_scikit_learn(corpus):
    """German sayings (umlauts, ß) beside ASCII posts: both ways of tokenising in one matrix."""
    sayings = [text for text, _ in saying_rows()]
    assert sum(not text.isascii() for text in sayings) > 100
    train = sayings[::2] + corpus.train_texts[:300]
    test = sayings[1::2] + ["Straße STRASSE straße", "", "a b c", "Ärger ärger"]
    _assert_same(CountVectorizer(), FastCountVectorizer(), train, test)


def test_texts_without_words_are_refused_as_scikit_learn_refuses_them():
    for vectorizer in (CountVectorizer(), FastCountVectorizer()):
        with pytest.raises(ValueError, match="empty vocabulary"):
            vectorizer.fit_transform(["a b c", "! ?", ""])

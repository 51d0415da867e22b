import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from textclf.learn.features import fit_features


def test_vocabulary_comes_from_training_posts_only(corpus, features):
    analyzer = features.vectorizer.build_analyzer()
    train_words = {word for text in corpus.train_texts for word in analyzer(text)}
    test_words = {word for text in corpus.test_texts for word in analyzer(text)}
    only_in_test = test_words - train_words
    assert only_in_test, "the test posts should hold words the training posts lack"
    assert set(features.vectorizer.vocabulary_) == train_words
    assert not only_in_test & set(features.vectorizer.vocabulary_)


def test_counts_stay_sparse_float32(corpus, features):
    assert sp.isspmatrix_csr(features.X_train) and sp.isspmatrix_csr(features.X_test)
    assert features.X_train.dtype == np.float32
    assert features.X_train.shape == (1774, len(features.vectorizer.vocabulary_))
    assert features.X_test.shape[0] == 1180
    assert features.X_train.nnz < 0.02 * np.prod(features.X_train.shape)
    # the counts are whole numbers of occurrences
    assert np.all(features.X_train.data == np.round(features.X_train.data))


def test_tfidf_rows_are_unit_length_and_capped(corpus):
    tfidf = fit_features(corpus, "tfidf", max_features=5000)
    assert tfidf.X_train.shape[1] == 5000
    norms = np.sqrt(np.asarray(tfidf.X_train.multiply(tfidf.X_train).sum(axis=1))).ravel()
    nonempty = norms > 0
    assert np.allclose(norms[nonempty], 1.0, atol=1e-5)


def test_columns_run_from_the_commonest_word_and_mean_what_the_vectorizer_says(corpus):
    """The reordering is the vectorizer's own: transforming a post gives its row, and the words
    are scikit-learn's counts and weights, only numbered by how many posts hold them."""
    for kind in ("counts", "tfidf"):
        features = fit_features(corpus, kind, max_features=20_000)
        posts_holding = np.bincount(features.X_train.indices, minlength=features.X_train.shape[1])
        assert np.all(np.diff(posts_holding) <= 0)
        assert (
            features.vectorizer.transform(corpus.train_texts[:50]) != features.X_train[:50]
        ).nnz == 0
        reference = TfidfVectorizer(sublinear_tf=True) if kind == "tfidf" else CountVectorizer()
        reference.set_params(max_features=20_000, dtype=np.float32)
        expected = reference.fit_transform(corpus.train_texts).tocsr()
        names = features.vectorizer.get_feature_names_out()
        assert set(names) == set(reference.vocabulary_)
        columns = [reference.vocabulary_[word] for word in names]
        assert np.allclose(expected[:, columns].toarray(), features.X_train.toarray(), atol=1e-6)
        assert np.array_equal(names, reference.get_feature_names_out()[features.alphabetical])

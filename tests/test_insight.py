from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from textclf.inspect.insight import baseline_report, header_artefacts, hidden_map, top_words


def test_top_words_name_each_topic(tutorial_run):
    words = {
        label: [w for w, _ in ranked]
        for label, ranked in top_words(tutorial_run.classifier).items()
    }
    assert "baseball" in words["rec.sport.baseball"]
    assert {"space", "moon", "orbit", "nasa"} & set(words["sci.space"])
    assert all(
        effect > 0 for ranked in top_words(tutorial_run.classifier).values() for _, effect in ranked
    )


def test_header_artefacts_are_words_of_the_header_block(corpus):
    words = ["nntp", "organization", "pitcher", "orbit", "graphics", "x11r5"]
    assert header_artefacts(words, corpus.test_texts) == ["nntp", "organization"]


def test_the_hidden_layer_map_separates_the_groups(tutorial_run, corpus, features):
    points = hidden_map(tutorial_run.classifier, features.X_test)
    assert points.shape == (1180, 2)
    # a post's nearest neighbours on the map mostly share its group: the classes separate
    neighbours = KNeighborsClassifier(n_neighbors=5)
    agreement = cross_val_score(neighbours, points, corpus.test_labels, cv=5).mean()
    assert agreement > 0.9  # chance is 0.34


def test_the_baseline_is_trained_on_the_same_features(corpus, features):
    report = baseline_report(corpus, features)
    assert report.confusion.sum() == 1180 and report.accuracy > 0.9

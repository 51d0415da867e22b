"""Any input at all: the file reader, the predictor and the link reader answer or refuse clearly,
never with an unhandled exception (property-based, with hypothesis)."""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textclf.config import TrainConfig
from textclf.explain import explain
from textclf.features import fit_features
from textclf.links import read_link
from textclf.predict import predict_text
from textclf.tables import DataProblem, corpus_from_tables, read_table

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_refuse(raw: bytes, name: str):
    try:
        return read_table(raw, name)
    except DataProblem as problem:
        assert str(problem).strip(), "a refusal must say why"
        return None


@SETTINGS
@given(raw=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt"]))
def test_any_bytes_are_read_or_refused_with_a_message(raw, suffix):
    table = read_or_refuse(raw, "upload" + suffix)
    if table is not None:
        assert table.text_column in table.frame.columns
        assert table.label_column in table.frame.columns
        assert table.text_column != table.label_column


cells = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@SETTINGS
@given(
    rows=st.lists(st.tuples(cells, st.sampled_from(["a", "b", "c", "7", "ü", ""])), max_size=60),
    delimiter=st.sampled_from([",", "\t", ";", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    test_size=st.floats(0.05, 0.5),
)
def test_any_table_trains_or_is_refused_with_a_message(rows, delimiter, encoding, test_size):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    table = read_or_refuse(out.getvalue().encode(encoding), "rows.csv")
    if table is None:
        return
    try:
        corpus = corpus_from_tables(table, "text", "label", test_size=test_size)
        features = fit_features(corpus, "tfidf")
    except DataProblem as problem:
        assert str(problem).strip()
        return
    assert features.X_train.shape == (len(corpus.train_texts), len(features.vectorizer.vocabulary_))
    assert len(corpus.label_names) >= 2
    assert set(corpus.train_labels) == set(range(len(corpus.label_names)))  # every label trains
    assert len(corpus.train_texts) == len(corpus.train_labels) > 0
    assert len(corpus.test_texts) == len(corpus.test_labels) > 0
    assert all(text.strip() for text in corpus.train_texts + corpus.test_texts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(piece=st.text(max_size=300), repeats=st.integers(1, 4000))
def test_any_text_up_to_a_megabyte_gets_a_prediction_or_a_message(tutorial_run, piece, repeats):
    text = (piece * repeats)[: 2**20]
    prediction = predict_text(tutorial_run.classifier, text)
    if prediction.probabilities is None:
        assert prediction.message
    else:
        assert sum(prediction.probabilities.values()) == pytest.approx(1, abs=1e-5)
    explain(tutorial_run.classifier, text)  # may be None (no known word); must not raise


names = st.sampled_from(
    [
        "hidden",
        "layers",
        "lr",
        "dropout",
        "epochs",
        "batch-size",
        "seed",
        "categories",
        "remove",
        "features",
        "max-features",
        "text",
        "other",
    ]
)


@SETTINGS
@given(params=st.dictionaries(names | st.text(max_size=10), st.lists(st.text(max_size=300))))
def test_any_link_gives_usable_settings_and_a_notice_for_the_rest(params):
    reading = read_link(params)
    config = TrainConfig(**reading.settings)  # whatever was kept trains
    assert config.hidden >= 1
    assert all(isinstance(item, str) and item for item in reading.ignored)
    if reading.text is not None:
        assert len(reading.text) <= 1000

"""Any input at all: the file reader, the model reader, the predictor and the link reader answer
or refuse clearly, never with an unhandled exception; what reaches a terminal is escaped
(property-based, with hypothesis)."""

import codecs
import csv
import io
import json
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.modelfiles import altered, record, records, with_record
from textclf.inspect.explain import explain
from textclf.io.links import read_link
from textclf.io.persist import ModelFileError, classifier_from_bytes, classifier_to_bytes
from textclf.io.tables import DataProblem, corpus_from_tables, read_table
from textclf.io.text import UNSAFE_CATEGORIES, printable
from textclf.learn.config import TrainConfig
from textclf.learn.features import fit_features
from textclf.learn.predict import predict_text

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


@pytest.fixture(scope="module")
def small_model(corpus) -> bytes:
    """A real model file small enough to alter 150 times: TF-IDF (it holds an idf), 300 words."""
    from tests.runs import run
    from textclf.learn.config import TUTORIAL, replace

    config = replace(TUTORIAL, features="tfidf", max_features=300, hidden=8, epochs=1)
    return classifier_to_bytes(run(config, corpus).classifier)


def load_or_refuse(data: bytes):
    try:
        return classifier_from_bytes(data)
    except ModelFileError as error:
        message = str(error)
        assert message and message.isprintable(), "a refusal is one printable line"
        return None


def assert_usable(classifier):
    assert len(set(classifier.labels)) == len(classifier.labels) >= 2
    prediction = predict_text(classifier, "the pitcher threw a curveball to the shuttle")
    probabilities = list(prediction.probabilities.values())
    assert len(probabilities) == len(classifier.labels)
    assert sum(probabilities) == pytest.approx(1, abs=1e-5)


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """data cut short, or a stretch of it overwritten or inserted, anywhere."""
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "overwrite", "insert"]))
    if how == "cut":
        return data[:at]
    patch = draw(st.binary(min_size=1, max_size=64))
    return data[:at] + patch + data[at + (len(patch) if how == "overwrite" else 0) :]


@st.composite
def damaged_record(draw, data: bytes) -> bytes:
    """The file with one record (the pickle, a tensor, torch's own) damaged inside an intact
    archive, so that what reads the record meets the damage, not the zip's checksum."""
    name = draw(st.sampled_from(records(data)))
    return with_record(data, name, draw(damaged(record(data, name))))


@SETTINGS
@given(choice=st.data())
def test_any_bytes_as_a_model_file_load_or_are_refused(small_model, choice):
    data = choice.draw(
        st.one_of(st.binary(max_size=3000), damaged(small_model), damaged_record(small_model))
    )
    classifier = load_or_refuse(data)
    if classifier is not None:
        assert_usable(classifier)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=8,
)


@SETTINGS
@given(
    rows=st.lists(st.dictionaries(st.text(max_size=10), json_values, max_size=4), max_size=6),
    depth=st.integers(0, 5000),
)
def test_any_json_lines_nested_or_recursive_are_read_or_refused_with_a_message(rows, depth):
    """Rows of any JSON values, and a row whose text is nested depth deep."""
    lines = [json.dumps(row) for row in rows]
    lines.append('{"text": ' + "[" * depth + "1" + "]" * depth + ', "label": "a"}')
    table = read_or_refuse("\n".join(lines).encode(), "upload.jsonl")
    if table is not None:
        assert table.text_column != table.label_column


def changed_list(draw, items: list) -> list:
    """items with one of them replaced, doubled, dropped or added, or all of them replaced."""
    how = draw(st.sampled_from(["replace", "double", "drop", "add", "all"]))
    i = draw(st.integers(0, len(items) - 1))
    if how == "all":
        return draw(st.lists(st.text(max_size=20), max_size=6) | json_values)
    value = draw(st.text(max_size=20) | json_values)
    if how == "replace":
        return items[:i] + [value] + items[i + 1 :]
    if how == "double":
        return items[: i + 1] + [items[i]] + items[i + 1 :]
    if how == "drop":
        return items[:i] + items[i + 1 :]
    return items + [value]


@SETTINGS
@given(choice=st.data())
def test_any_change_to_a_model_files_metadata_loads_or_is_refused(small_model, choice):
    part = choice.draw(st.sampled_from(["labels", "vocabulary", "config", "format"]))

    def change(payload):
        meta = payload["meta"]
        if part in ("labels", "vocabulary"):
            meta[part] = changed_list(choice.draw, meta[part])
        elif part == "config":
            name = choice.draw(st.sampled_from(sorted(meta["config"])) | st.text(max_size=12))
            if choice.draw(st.booleans()):
                meta["config"].pop(name, None)
            else:
                meta["config"][name] = choice.draw(json_values | st.integers(-5, 2000))
        else:
            meta["format"] = choice.draw(json_values)

    classifier = load_or_refuse(altered(small_model, change))
    if classifier is not None:
        assert_usable(classifier)


@SETTINGS
@given(text=st.text(st.characters(exclude_categories=[])))
def test_printable_shows_no_character_a_terminal_acts_on_and_reads_back(text):
    shown = printable(text)
    assert not any(unicodedata.category(char) in UNSAFE_CATEGORIES for char in shown)
    assert codecs.decode(shown.encode("ascii", "backslashreplace"), "unicode_escape") == text

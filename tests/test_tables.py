"""A person's own labelled files: read in every usual shape, split fairly, refused clearly."""

import datetime
import io
import json
import os
import tracemalloc

import numpy as np
import pytest

from tests.realfiles import delimited, saying_rows, subject_rows
from textclf.io.tables import MAX_LABELS, MAX_ROWS, DataProblem, corpus_from_tables, read_table
from textclf.learn.features import fit_features


@pytest.fixture(scope="module")
def subjects():
    return subject_rows()


@pytest.fixture(scope="module")
def sayings():
    return saying_rows()


def test_subject_lines_csv_splits_stratified_and_reproducibly(subjects):
    table = read_table(delimited(subjects, ["subject", "group"]).encode(), "subjects.csv")
    assert (table.text_column, table.label_column) == ("subject", "group")
    corpus = corpus_from_tables(table, test_size=0.2, seed=0)
    assert len(corpus.train_texts) + len(corpus.test_texts) == len(subjects)
    assert len(corpus.test_texts) == pytest.approx(0.2 * len(subjects), abs=1)
    assert corpus.label_names == tuple(sorted({g for _, g in subjects}))
    train_share = np.bincount(corpus.train_labels) / len(corpus.train_labels)
    test_share = np.bincount(corpus.test_labels) / len(corpus.test_labels)
    assert np.abs(train_share - test_share).max() < 0.005  # each label keeps its proportion
    again = corpus_from_tables(table, test_size=0.2, seed=0)
    assert again.test_texts == corpus.test_texts
    other = corpus_from_tables(table, test_size=0.2, seed=1)
    assert other.test_texts != corpus.test_texts


def test_german_sayings_with_byte_order_mark_and_multiline_quoted_fields(sayings):
    raw = b"\xef\xbb\xbf" + delimited(sayings, ["Spruch", "Art"]).encode("utf-8")
    table = read_table(raw, "sprüche.csv")
    assert list(table.frame.columns) == ["Spruch", "Art"]  # no mark glued to the first name
    assert table.notes == ()
    assert sorted(table.frame["Spruch"]) == sorted(text for text, _ in sayings)
    assert any("\n" in text and "ü" in text for text in table.frame["Spruch"])


def test_latin1_tsv_json_lines_and_semicolons_read_the_same_rows(sayings):
    latin = [(t, k) for t, k in sayings if t.encode("latin-1", "ignore").decode("latin-1") == t]
    expected = sorted(latin)
    readings = {
        "latin-1": read_table(delimited(latin, ["text", "kind"]).encode("latin-1"), "a.csv"),
        "tsv": read_table(delimited(latin, ["text", "kind"], "\t").encode(), "a.tsv"),
        "semicolons": read_table(delimited(latin, ["text", "kind"], ";").encode(), "a.txt"),
        "json lines": read_table(
            "\n".join(
                json.dumps({"text": t, "kind": k}, ensure_ascii=False) for t, k in latin
            ).encode(),
            "a.jsonl",
        ),
    }
    for how, table in readings.items():
        rows = sorted(zip(table.frame["text"], table.frame["kind"], strict=True))
        assert rows == expected, how
    assert readings["latin-1"].notes == ("a.csv is not UTF-8: read as Latin-1",)


def test_number_labels_sort_as_numbers(subjects):
    number = {
        g: str(i) for i, g in zip((2, 10, 1, 7, 30), sorted({g for _, g in subjects}), strict=True)
    }
    rows = [(text, number[group]) for text, group in subjects]
    corpus = corpus_from_tables(read_table(delimited(rows, ["text", "label"]).encode(), "n.csv"))
    assert corpus.label_names == ("1", "2", "7", "10", "30")


def test_empty_texts_are_dropped_and_counted(subjects):
    rows = [("" if i % 10 == 0 else text, group) for i, (text, group) in enumerate(subjects)]
    corpus = corpus_from_tables(read_table(delimited(rows, ["text", "label"]).encode(), "e.csv"))
    dropped = sum(1 for text, _ in rows if not text.strip())
    assert len(corpus.train_texts) + len(corpus.test_texts) == len(rows) - dropped
    assert f"{dropped:,} rows of e.csv with an empty text left out" in corpus.notes


def test_separate_test_file(subjects):
    half = len(subjects) // 2
    train = read_table(delimited(subjects[:half], ["text", "label"]).encode(), "train.csv")
    test = read_table(delimited(subjects[half:], ["text", "label"]).encode(), "test.csv")
    corpus = corpus_from_tables(train, test_table=test)
    assert corpus.test_texts == [text.strip() for text, _ in subjects[half:]]


def refusal(raw: bytes, name="bad.csv", **choices) -> str:
    with pytest.raises(DataProblem) as error:
        corpus_from_tables(read_table(raw, name), **choices)
    return str(error.value)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "is empty"),
        (b"  \n\n ", "is empty"),
        (b"text,label\n", "no rows"),
        (b"just one column\nanother line\n", "1 column"),
        (b"the pitcher threw a strike,baseball\nthe shuttle launched,space\n", "no header"),
        (b"42,7\n1,2\n", "no header"),
        (b"text,label\n,a\n ,b\n", "every text"),
        (b"text,label\nhello there,spam\nanother one,spam\n", "one label only"),
        (b"text,label\na b,x\nc d,x\ne f,y\n", "'y' has a single example"),
        (b"\x00\x01\x02binary\xff\xfe\x00junk" * 100, "not a text file"),
        (b"\x1f\x8b\x08\x00compressed", "not a text file"),
        (b'{"text": "fine"}\nnot json\n', "line 2: not JSON"),
        (b"[1, 2]\n", "no rows"),
        (b"ham,Go until jurong point\nspam,Free entry now\nham,Ok lar\n", "no header"),
    ],
)
def test_bad_files_get_a_clear_message(raw, says):
    import re

    assert re.search(says, refusal(raw))


def test_texts_without_words_are_refused():
    rows = [(f"{chr(97 + i)} {i % 10}", "xy"[i % 2]) for i in range(20)]  # one-letter tokens
    corpus = corpus_from_tables(read_table(delimited(rows, ["text", "label"]).encode(), "a.csv"))
    with pytest.raises(DataProblem, match="no word of two or more letters"):
        fit_features(corpus)


def test_more_labels_than_allowed():
    rows = [(f"text number {i}", f"label {i // 2}") for i in range(2 * (MAX_LABELS + 1))]
    assert "the limit is 100" in refusal(delimited(rows, ["text", "label"]).encode())


def test_wrong_column_choices(subjects):
    raw = delimited(subjects[:200], ["text", "label"]).encode()
    assert "no text column 'body'" in refusal(raw, text_column="body")
    assert "must differ" in refusal(raw, text_column="text", label_column="text")
    assert "outside 0.05 to 0.5" in refusal(raw, test_size=0.9)


def test_a_200_mb_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.write(b"text,label\n")
        f.truncate(200 * 2**20)  # 200 MB on disk, sparse
    tracemalloc.start()
    with pytest.raises(DataProblem, match="200 MB; the limit is 50 MB"):
        read_table(big)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20  # not read into memory
    with open(big, "rb") as upload:  # an open file (an upload) is measured the same way
        with pytest.raises(DataProblem, match="the limit is 50 MB"):
            read_table(upload, "big.csv")


def forms_export(rows, questions, stamp) -> bytes:
    """A Google Forms response sheet downloaded as CSV: a Timestamp column first, then one column
    per question, headed by the question itself."""
    start = datetime.datetime(2024, 3, 4, 9, 15, 2)
    answers = [
        (stamp(start + datetime.timedelta(minutes=7 * i)), text, label)
        for i, (text, label) in enumerate(rows)
    ]
    return delimited(answers, questions).encode()


def us_stamp(moment):
    return moment.strftime("%Y/%m/%d %-I:%M:%S %p GMT+1")  # 2024/03/04 9:15:02 AM GMT+1


def german_stamp(moment):
    return moment.strftime("%d.%m.%Y %H:%M:%S")  # 04.03.2024 09:15:02


def test_a_google_forms_export_with_questions_for_names_is_read(subjects):
    rows = subjects[::40]  # 122 answers, all five newsgroups
    questions = [
        "Timestamp",
        "What was the subject of the last post you read?",
        "Which newsgroup was it posted to?",
    ]
    table = read_table(forms_export(rows, questions, us_stamp), "Form responses 1.csv")
    assert list(table.frame.columns) == questions
    assert table.frame.iloc[0, 0] == "2024/03/04 9:15:02 AM GMT+1"  # the first answer is kept
    assert (table.text_column, table.label_column) == tuple(questions[1:])
    corpus = corpus_from_tables(table)
    assert len(corpus.train_texts) + len(corpus.test_texts) == len(rows)
    assert corpus.label_names == tuple(sorted({group for _, group in rows}))


def test_a_german_forms_export_of_sayings_is_read(sayings):
    rows = sayings[::10]  # 114 sayings of six kinds, many over several lines
    questions = [
        "Zeitstempel",
        "Welcher Spruch gefällt Ihnen am besten?",
        "Was für ein Spruch ist das?",
    ]
    table = read_table(forms_export(rows, questions, german_stamp), "Antworten.csv")
    assert (table.text_column, table.label_column) == tuple(questions[1:])
    corpus = corpus_from_tables(table)
    assert len(corpus.train_texts) + len(corpus.test_texts) == len(rows)
    assert set(corpus.label_names) == {kind for _, kind in rows}


def test_a_forms_export_without_its_header_line_is_still_refused(subjects):
    raw = forms_export(subjects[::40], ["Timestamp", "Subject?", "Group?"], us_stamp)
    headless = raw.split(b"\n", 1)[1]
    assert "no header" in refusal(headless)


@pytest.mark.parametrize(
    ("header", "column", "value"),
    [
        (["text", "label"], 1, "label"),
        (["text", "label"], 1, "text"),
        (["text", "label"], 0, "text"),
        (["subject", "category"], 1, "category"),
    ],
)
def test_a_value_equal_to_a_column_name_is_read(subjects, header, column, value):
    """A label "label" (or a text "text") is a value like any other, not a sign that the header
    line is missing."""
    rows = [list(row) for row in subjects[:300]]
    for row in rows[::5]:
        row[column] = value
    table = read_table(delimited(rows, header).encode(), "values.csv")
    assert table.frame.values.tolist() == rows  # every row kept, the first one too
    corpus = corpus_from_tables(table)
    assert len(corpus.train_texts) + len(corpus.test_texts) == len(rows)
    if column == 1:
        assert value in corpus.label_names


def test_json_lines_with_a_label_named_label_are_read(subjects):
    lines = [
        json.dumps({"text": text, "label": "label" if i % 4 == 0 else group})
        for i, (text, group) in enumerate(subjects[:200])
    ]
    table = read_table("\n".join(lines).encode(), "a.jsonl")
    assert "label" in corpus_from_tables(table).label_names


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/proc/self"])
def test_devices_and_folders_are_refused_in_one_sentence(path):
    with pytest.raises(DataProblem, match="is not a regular file but a device, a pipe or a folder"):
        read_table(path)


def test_a_named_pipe_is_refused_without_waiting(tmp_path):
    pipe = tmp_path / "data.csv"
    os.mkfifo(pipe)
    with pytest.raises(DataProblem, match="not a regular file"):
        read_table(pipe)  # a blocking open would hang here until a writer came


def test_an_upload_is_read_no_further_than_the_limit():
    class Endless(io.RawIOBase):  # a stream that cannot say its size
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    with pytest.raises(DataProblem, match="the limit is 50 MB"):
        read_table(io.BufferedReader(Endless()), "upload.csv")


def test_a_file_of_too_many_rows_is_refused_in_one_sentence():
    rows = "text,label\n" + "".join(f"word{i} other,{i % 100}\n" for i in range(MAX_ROWS + 1))
    for name, data in (
        ("big.csv", rows.encode()),
        (
            "big.jsonl",
            "".join(f'{{"text": "w{i}", "label": "a"}}\n' for i in range(MAX_ROWS + 1)).encode(),
        ),
    ):
        with pytest.raises(DataProblem, match=rf"^{name} has over 100,000 rows: use a sample"):
            read_table(data, name)


@pytest.mark.parametrize("depth", [3, 1000, 100_000])
def test_nested_json_lines_end_in_one_sentence(depth):
    nested = "[" * depth + "]" * depth
    data = f'{{"text": "hello there", "label": "a"}}\n{{"text": {nested}, "label": "b"}}\n'
    with pytest.raises(
        DataProblem,
        match=r"^deep\.jsonl, line 2: (nested too deeply|the field 'text' holds a list)",
    ):
        read_table(data.encode(), "deep.jsonl")

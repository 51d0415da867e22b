"""A person's own labelled texts: a CSV, TSV or JSON Lines file read into a Corpus. Files come from
strangers: every refusal is a DataProblem saying what is wrong and what to do, nothing else
escapes; size is checked before a byte is read, and only a regular file is read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from textclf.io.files import FileRefused, read_capped
from textclf.learn.data import Corpus, DataProblem

__all__ = ["DataProblem", "Table", "corpus_from_tables", "guess_columns", "read_table"]

MAX_FILE_MB = 50
MAX_LABELS = 100
MAX_ROWS = 100_000  # a sample that trains in seconds; a hosted demo is no place for millions
TEST_SIZE_RANGE = (0.05, 0.5)
DELIMITERS = ",\t;|"
TEXT_NAMES = (
    "text",
    "message",
    "body",
    "content",
    "sentence",
    "review",
    "headline",
    "title",
    "subject",
)
LABEL_NAMES = ("label", "category", "class", "target", "topic", "sentiment", "group", "y")


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame  # every cell a str
    name: str  # the file's name, for messages and titles
    text_column: str  # the guesses; the person may choose others
    label_column: str
    notes: tuple[str, ...] = ()  # how it was read, when that is worth saying


def _too_large(name: str, size: int) -> DataProblem:
    return DataProblem(
        f"{name} is {size / 2**20:.0f} MB; the limit is {MAX_FILE_MB} MB. Use a sample of its rows."
    )


def _read_bytes(source, name: str) -> bytes:
    cap = MAX_FILE_MB * 2**20
    if isinstance(source, (bytes, bytearray)):
        if len(source) > cap:
            raise _too_large(name, len(source))
        return bytes(source)
    if isinstance(source, (str, Path)):
        try:
            return read_capped(source, cap, "a saved CSV, TSV or JSON Lines file")
        except FileRefused as refusal:
            if refusal.size is not None:
                raise _too_large(name, refusal.size) from None
            raise DataProblem(str(refusal)) from None
    try:
        if source.seekable():  # an upload: measured before it is read
            position = source.tell()
            size = source.seek(0, io.SEEK_END) - position
            source.seek(position)
            if size > cap:
                raise _too_large(name, size)
        data = source.read(cap + 1)  # a stream that cannot say its size: read one byte past
    except OSError as error:
        raise DataProblem(f"{name}: cannot be read ({error.strerror or error})") from None
    if len(data) > cap:
        raise _too_large(name, len(data))
    return data


def _decode(raw: bytes, name: str) -> tuple[str, tuple[str, ...]]:
    """UTF-8 (with or without a byte-order mark), UTF-16 with one, else Latin-1."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), ()
    head = raw[:8192]
    if b"\x00" in head or head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
        raise DataProblem(
            f"{name} is not a text file (it looks binary or compressed): "
            "save it as CSV, TSV or JSON Lines"
        )
    try:
        return raw.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r")
    if controls > len(text[:8192]) / 100:
        raise DataProblem(f"{name} is not a text file: save it as CSV, TSV or JSON Lines")
    return text, (f"{name} is not UTF-8: read as Latin-1",)


def delimiter_of(text: str, name: str) -> str:
    """The delimiter of a delimited text file: tab for .tsv/.tab, else what csv.Sniffer finds."""
    suffix = Path(name).suffix.lower()
    if suffix in (".tsv", ".tab"):
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # the sniffer gives up on some quoted samples: count in the header line
        header = sample.splitlines()[0] if sample.strip() else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def _json_lines(text: str, name: str) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(rows) == MAX_ROWS:
            raise _too_many_rows(name)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataProblem(f"{name}, line {number}: not JSON ({error.msg})") from None
        except RecursionError:
            raise DataProblem(f"{name}, line {number}: nested too deeply to be a row") from None
        if not isinstance(row, dict):
            raise DataProblem(f"{name}, line {number}: not a JSON object with named fields")
        nested = next((k for k, v in row.items() if isinstance(v, (dict, list))), None)
        if nested is not None:
            raise DataProblem(
                f"{name}, line {number}: the field {str(nested)[:40]!r} holds a list or an "
                "object; each field must be text or a number"
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.map(lambda v: "" if v is None or v != v else str(v)).astype(str)


NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")
# a number, date or time as spreadsheets and Google Forms write them: 2024/03/04 9:15:02 AM GMT+1,
# 04.03.2024 09:15:02, 2024-03-04T09:15, 3.5
NUMBER_OR_DATE = re.compile(r"[-+]?\d[\d\s/.:,T+-]*(?:\s*(?:[AaPp]\.?[Mm]\.?|GMT|UTC|Z)[\d:+-]*)*")


def _words(text: str) -> int:
    return len(text.split())


def _differs_in_kind(cell: str, values: pd.Series) -> bool:
    """A first-line cell unlike every value below it: a name over numbers or dates (a Google
    Forms export's Timestamp), or a question over its answers (a few labels, each given several
    times, none of them the cell and none as long)."""
    values = values.str.strip()
    values = values[values != ""]
    if values.empty:
        return False
    if not NUMBER_OR_DATE.fullmatch(cell) and values.str.fullmatch(NUMBER_OR_DATE).all():
        return True
    labels = set(values)
    return (
        len(labels) <= MAX_LABELS
        and len(values) >= 2 * len(labels)
        and cell not in labels
        and _words(cell) > max(map(_words, labels))
    )


def _names_columns(frame: pd.DataFrame) -> bool:
    """Whether the first line clearly names the columns, even when its cells read like sentences
    (questions) or are also values below (a label "label"): its cells are distinct, and two of
    them are usual column names or one differs in kind from its column."""
    columns = list(frame.columns)
    repeated = (re.fullmatch(r"(.+)\.\d+", c) for c in columns)  # pandas renames a repeat a.1
    if any(match and match[1] in columns for match in repeated):
        return False
    usual = sum(c.lower() in TEXT_NAMES + LABEL_NAMES for c in columns)
    return usual >= 2 or any(_differs_in_kind(c, frame.iloc[:, i]) for i, c in enumerate(columns))


def _first_line_is_data(frame: pd.DataFrame) -> bool:
    """Whether the file's first line, read as the columns' names, is a row of data: a name that
    is a number or spans lines always is; one that is a sentence or one of its own column's
    values is, unless the line clearly names the columns."""
    columns = list(frame.columns)
    if any(NUMBER.fullmatch(c) or "\n" in c for c in columns):
        return True
    if _names_columns(frame):
        return False
    return any(
        len(c) > 40 or _words(c) > 3 or bool(c and (frame.iloc[:, i].str.strip() == c).any())
        for i, c in enumerate(columns)
    )


def _too_many_rows(name: str) -> DataProblem:
    return DataProblem(f"{name} has over {MAX_ROWS:,} rows: use a sample of its rows")


def read_table(source: str | Path | bytes | BinaryIO, name: str | None = None) -> Table:
    """Reads a labelled file: a path, its bytes, or an open binary file (such as an upload)."""
    name = name or (Path(source).name if isinstance(source, (str, Path)) else "the file")
    raw = _read_bytes(source, name)
    if not raw.strip():
        raise DataProblem(f"{name} is empty")
    text, notes = _decode(raw, name)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataProblem(f"{name} is empty")
    suffix = Path(name).suffix.lower()
    json_lines = suffix in (".jsonl", ".ndjson", ".json") or text.lstrip()[:1] == "{"
    if json_lines:  # its names are the objects' keys: no line of data can pass for them
        frame = _json_lines(text, name)
    else:
        delimiter = delimiter_of(text, name)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=True,
                nrows=MAX_ROWS + 1,  # no more is read than it takes to say it is too many
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
            detail = str(error).strip().splitlines()[-1][:200]
            raise DataProblem(f"{name} cannot be read as a table: {detail}") from None
    if len(frame) > MAX_ROWS:
        raise _too_many_rows(name)
    frame.columns = [str(c).strip() for c in frame.columns]
    twice = frame.columns[frame.columns.duplicated()]
    if len(twice):
        raise DataProblem(f"{name} has two columns named {twice[0][:40]!r}: rename one of them")
    frame = frame.fillna("").astype(str)  # a short row's missing cells
    if len(frame.columns) and not json_lines and _first_line_is_data(frame):
        first = ", ".join(repr(c[:40]) for c in frame.columns[:3])
        raise DataProblem(
            f"{name} has no header line: its first line ({first}) looks like data. "
            "Add a first line that names the columns, such as text,label."
        )
    if len(frame.columns) < 2:
        raise DataProblem(
            f"{name} has {len(frame.columns)} column; it needs a text column and a label "
            "column (CSV, TSV or JSON Lines with a header line)"
        )
    if frame.empty:
        raise DataProblem(f"{name} has a header line but no rows")
    text_column, label_column = guess_columns(frame)
    return Table(frame, name, text_column, label_column, notes)


def guess_columns(frame: pd.DataFrame) -> tuple[str, str]:
    """The text column: a usual name, else the longest texts. The label column: a usual name,
    else the column with fewest distinct values (at least two)."""
    columns = list(frame.columns)
    lowered = {c.lower(): c for c in columns}
    lengths = {c: frame[c].str.len().mean() for c in columns}
    text = next((lowered[n] for n in TEXT_NAMES if n in lowered), None)
    text = text or max(columns, key=lambda c: lengths[c])
    others = [c for c in columns if c != text]
    label = next((lowered[n] for n in LABEL_NAMES if n in lowered and lowered[n] != text), None)
    if label is None:
        distinct = {c: frame[c].nunique() for c in others}
        usable = [c for c in others if distinct[c] >= 2] or others
        label = min(usable, key=lambda c: (distinct[c], lengths[c]))
    return text, label


def _label_order(labels) -> list[str]:
    """Sorted as numbers when every label is one (2 before 10), else alphabetically."""
    labels = sorted(set(labels))
    try:
        return sorted(labels, key=float)
    except ValueError:
        return labels


def _column(table: Table, column: str, role: str) -> pd.Series:
    if column not in table.frame.columns:
        raise DataProblem(
            f"{table.name} has no {role} column {column!r}; its columns: "
            + ", ".join(map(repr, table.frame.columns))
        )
    return table.frame[column].str.strip()


def id_column(table: Table, text_column: str, label_column: str) -> str | None:
    """The file's own name for each row, if it has one: a column called id (or ending in id),
    neither text nor label, with a distinct value in every row."""
    for column in table.frame.columns:
        name = str(column).strip().lower()
        if column in (text_column, label_column) or not (name == "id" or name.endswith(
            ("_id", " id", "-id"))):  # fmt: skip
            continue
        values = table.frame[column].str.strip()
        if (values != "").all() and values.is_unique:
            return column
    return None


def _texts_and_labels(
    table: Table, text_column: str, label_column: str
) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """The rows with both a text and a label, notes on those left out, and the kept rows'
    positions among the table's data rows."""
    if text_column == label_column:
        raise DataProblem("the text column and the label column must differ")
    texts, labels = _column(table, text_column, "text"), _column(table, label_column, "label")
    notes = []
    empty_text, empty_label = texts == "", labels == ""
    if empty_text.all():
        raise DataProblem(f"every text in {table.name}'s column {text_column!r} is empty")
    if empty_label.all():
        raise DataProblem(f"every label in {table.name}'s column {label_column!r} is empty")
    if empty_text.any():
        notes.append(f"{int(empty_text.sum()):,} rows of {table.name} with an empty text left out")
    only_label = empty_label & ~empty_text
    if only_label.any():
        notes.append(f"{int(only_label.sum()):,} rows of {table.name} with no label left out")
    keep = ~(empty_text | empty_label)
    if not keep.any():
        raise DataProblem(f"no row of {table.name} has both a text and a label")
    return list(texts[keep]), list(labels[keep]), notes, np.flatnonzero(keep)


def corpus_from_tables(
    table: Table,
    text_column: str | None = None,
    label_column: str | None = None,
    test_size: float = 0.2,
    seed: int = 0,
    test_table: Table | None = None,
) -> Corpus:
    """Train and test posts from a labelled table: a stratified split drawn with the seed, or the
    rows of a separate test table."""
    from sklearn.model_selection import train_test_split

    text_column = text_column or table.text_column
    label_column = label_column or table.label_column
    low, high = TEST_SIZE_RANGE
    if test_table is None and not low <= test_size <= high:
        raise DataProblem(f"test size: {test_size} is outside {low} to {high}")
    texts, labels, notes, rows = _texts_and_labels(table, text_column, label_column)
    names = _label_order(labels)
    if len(names) < 2:
        raise DataProblem(
            f"{table.name} has one label only ({names[0][:40]!r} in column {label_column!r}): "
            "a classifier needs at least two"
        )
    if len(names) > MAX_LABELS:
        raise DataProblem(
            f"column {label_column!r} holds {len(names):,} distinct labels; the limit is "
            f"{MAX_LABELS}. Is it the label column?"
        )
    index = {label: i for i, label in enumerate(names)}
    y = np.array([index[label] for label in labels], dtype=np.int64)
    counts = np.bincount(y, minlength=len(names))
    if test_table is None:
        single = [names[i] for i in np.flatnonzero(counts < 2)]
        if single:
            shown = ", ".join(repr(s[:40]) for s in single[:5])
            raise DataProblem(
                f"label {shown} has a single example: each label needs at least two, one to "
                "train on and one to test on (add examples or remove those rows)"
            )
        n_test = int(np.ceil(test_size * len(y)))
        if n_test < len(names) or len(y) - n_test < len(names):
            raise DataProblem(
                f"a test size of {test_size} keeps {n_test} of {len(y)} rows for testing, "
                f"fewer than the {len(names)} labels or leaving too few to train on: "
                "choose another test size or add rows"
            )
        train_idx, test_idx = train_test_split(
            np.arange(len(y)), test_size=test_size, random_state=seed, stratify=y
        )
        train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
        train_texts = [texts[i] for i in train_idx]
        test_texts = [texts[i] for i in test_idx]
        train_y, test_y = y[train_idx], y[test_idx]
        test_rows = rows[test_idx]
        test_source = table
    else:
        test_texts, test_labels, test_notes, test_rows = _texts_and_labels(
            test_table, text_column, label_column
        )
        test_source = test_table
        notes += test_notes
        unseen = sorted(set(test_labels) - set(names))
        if unseen:
            raise DataProblem(
                f"{test_table.name} has labels the training file lacks: "
                + ", ".join(repr(s[:40]) for s in unseen[:5])
            )
        train_texts, train_y = texts, y
        test_y = np.array([index[label] for label in test_labels], dtype=np.int64)
    return Corpus(
        train_texts=train_texts,
        train_labels=train_y,
        test_texts=test_texts,
        test_labels=test_y,
        label_names=tuple(names),
        name=table.name,
        notes=table.notes + (test_table.notes if test_table else ()) + tuple(notes),
        test_ids=tuple(int(row) for row in test_rows),
        **_named(test_source, test_rows, text_column, label_column),
    )


def _named(table: Table, rows: np.ndarray, text_column: str, label_column: str) -> dict:
    """The test rows' own ids, where the file has an id column."""
    column = id_column(table, text_column, label_column)
    if column is None:
        return {}
    values = table.frame[column].str.strip().to_numpy()
    return {"id_column": column, "test_names": tuple(str(values[r]) for r in rows)}

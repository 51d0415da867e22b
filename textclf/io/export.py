"""A run's settings as one short PyTorch script (torch, scikit-learn, numpy) a learner can read, run
and change: script_template.py, the tutorial's script, with its marked parts filled. It repeats the
app's run (posts, vocabulary, seeded network, shuffling, optimiser), so it prints its accuracy."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from string import Template

from textclf.io.text import printable
from textclf.learn.config import TrainConfig, config_fields, format_setting, option_name

ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU"}


@dataclass(frozen=True)
class OwnFile:
    name: str  # the file's name as the person gave it, without its folder
    delimiter: str | None  # None: JSON Lines
    encoding: str  # how the app decoded it: utf-8-sig, utf-16 or latin-1


@dataclass(frozen=True)
class OwnData:
    """A person's labelled file as the app read it: its columns, label order and split."""

    train: OwnFile
    text_column: str
    label_column: str
    numeric_labels: bool = False  # every label a number: ordered 2 before 10, as the app does
    test_size: float = 0.2
    split_seed: int = 0
    test: OwnFile | None = None  # a separate test file instead of a split


def _own_file(name: str, raw: bytes, table) -> OwnFile:
    """How the app read these bytes into table (textclf.io.tables.read_table): kind and encoding."""
    from textclf.io.tables import delimiter_of

    name = Path(name).name
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding, text = "utf-16", raw.decode("utf-16")
    elif any("not UTF-8" in note for note in table.notes):
        encoding, text = "latin-1", raw.decode("latin-1")
    else:
        encoding, text = "utf-8-sig", raw.decode("utf-8-sig")
    json_lines = Path(name).suffix.lower() in (".jsonl", ".ndjson", ".json")
    json_lines = json_lines or text.lstrip("\ufeff").lstrip()[:1] == "{"
    return OwnFile(name, None if json_lines else delimiter_of(text, name), encoding)


def own_data(
    path: str | Path | bytes,
    text_column: str | None = None,
    label_column: str | None = None,
    test_size: float = 0.2,
    split_seed: int = 0,
    test_path: str | Path | bytes | None = None,
    name: str | None = None,
    test_name: str | None = None,
) -> OwnData:
    """The file as `train --data` reads it, columns guessed where not given; a DataProblem says
    why it cannot train, in train's words. The page passes an upload's bytes and its name."""
    from textclf.io.tables import corpus_from_tables, read_table

    def read(source, given_name):
        table = read_table(source, given_name)  # a regular file under the cap, or refused
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        return table, _own_file(given_name or str(source), raw, table)

    table, train_file = read(path, name)
    test_table, test_file = read(test_path, test_name) if test_path else (None, None)
    corpus = corpus_from_tables(  # checks the columns, labels and split as train does
        table, text_column, label_column, test_size, split_seed, test_table
    )
    names = list(corpus.label_names)
    return OwnData(
        train=train_file,
        text_column=text_column or table.text_column,
        label_column=label_column or table.label_column,
        numeric_labels=names != sorted(names),  # the app sorted them as numbers
        test_size=test_size,
        split_seed=split_seed,
        test=test_file,
    )


def train_command(config: TrainConfig, data: OwnData | None = None) -> list[str]:
    """The words of this run's `python -m textclf train` command: the settings not at their
    defaults, then the person's file and how it was read."""
    words = ["python", "-m", "textclf", "train"]
    for name, field in config_fields().items():
        value = getattr(config, name)
        if value != field.default and not (data and name in ("categories", "remove")):
            words += [f"--{option_name(name)}", format_setting(value)]
    if data is not None:
        words += ["--data", data.train.name]
        words += ["--text-column", data.text_column, "--label-column", data.label_column]
        if data.test is not None:
            words += ["--test-data", data.test.name]
        if data.test is None and data.test_size != 0.2:
            words += ["--test-size", str(data.test_size)]
        if data.test is None and data.split_seed:
            words += ["--split-seed", str(data.split_seed)]
    return words


def _command_comment(words: list[str], width: int = 90) -> str:
    """The command as comment lines that a shell reads back once the #s are gone, an option
    and its value on one line. Names from a file are quoted and made printable: no character
    of theirs can end the comment's line."""
    shown = [printable(shlex.quote(word)) for word in words]
    units = [" ".join(shown[:4])] + [" ".join(shown[i : i + 2]) for i in range(4, len(shown), 2)]
    lines, line = [], "#   " + units[0]
    for unit in units[1:]:
        if len(line) + 1 + len(unit) > width:
            lines.append(line + " \\")
            line = "#       " + unit
        else:
            line += " " + unit
    return "\n".join([*lines, line])


def _literal(value) -> str:
    """A str, or a list or tuple of them, as Python source in double quotes, as ruff writes it."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_literal, value)) + ("," if len(value) == 1 else "") + ")"
    text = repr(value)  # escapes every character that could end the literal or the line
    if text.startswith("'") and '"' not in value:  # then it holds neither quote
        text = '"' + text[1:-1] + '"'
    return text


def _settings(config: TrainConfig, data: OwnData | None) -> str:
    lines = []
    if data is None:
        lines.append(f"CATEGORIES = {_literal(list(config.categories))}")
        if config.remove:
            lines.append(f"REMOVE = {_literal(config.remove)}  # stripped for honest scores")
    else:
        lines.append(f"DATA = {_literal(data.train.name)}  # your file, by the name it had")
        if data.test is not None:
            lines.append(f"TEST_DATA = {_literal(data.test.name)}  # your test file")
        columns = f"{_literal(data.text_column)}, {_literal(data.label_column)}"
        lines.append(f"TEXT, LABEL = {columns}  # its columns")
        if data.test is None:
            split = f"{data.test_size!r}, {data.split_seed!r}"
            lines.append(f"TEST_SIZE, SPLIT_SEED = {split}  # share held out for testing; seed")
    if config.max_features:
        lines.append(f"MAX_FEATURES = {config.max_features!r}  # the most frequent words only")
    lines.append(f"HIDDEN = {config.hidden!r}  # units per hidden layer")
    if config.dropout:
        lines.append(f"DROPOUT = {config.dropout!r}  # after each hidden layer")
    lines.append(f"LR = {config.lr!r}  # learning rate")
    if config.weight_decay:
        lines.append(f"WEIGHT_DECAY = {config.weight_decay!r}  # L2 penalty on every weight")
    if config.train_share < 1:
        lines.append(f"TRAIN_SHARE = {config.train_share!r}  # of each label's training posts")
    lines.append(f"BATCH_SIZE = {config.batch_size!r}  # posts per optimiser step")
    lines.append(f"EPOCHS = {config.epochs!r}  # passes over the training posts")
    lines.append(f"SEED = {config.seed!r}  # the initial weights, dropout and the shuffling")
    return "\n".join(lines)


TEMPLATE = Path(__file__).with_name("script_template.py")  # the tutorial's script, parts marked
_BLOCK = re.compile(
    r"^(?P<indent> *)# \[(?P<name>\w+)\]\n(?P<body>.*?)^(?P=indent)# \[/(?P=name)\]\n", re.M | re.S
)
_LINE = re.compile(r"^(?P<indent> *)\S.*  # \[(?P<name>\w+)\]\n", re.M)

_READ = Template('''
def read(path, encoding$delimiter):
    """(texts, labels) of the rows that have both, names and values stripped as the app strips
    them."""
    with open(path, encoding=encoding, newline="") as f:
$rows
    rows = [{str(name).strip(): value for name, value in row.items()} for row in rows]
    pairs = [[row.get(TEXT), row.get(LABEL)] for row in rows]
    pairs = [["" if v is None else str(v).strip() for v in pair] for pair in pairs]
    pairs = [pair for pair in pairs if all(pair)]
    return [text for text, _ in pairs], [label for _, label in pairs]
''')
_CSV_ROWS = "        rows = list(csv.DictReader(f, delimiter=delimiter))"
_JSON_ROWS = "        rows = [json.loads(line) for line in f if line.strip()]  # JSON Lines"
_ANY_ROWS = """\
        if delimiter is None:  # JSON Lines
            rows = [json.loads(line) for line in f if line.strip()]
        else:
            rows = list(csv.DictReader(f, delimiter=delimiter))"""

_SPLIT = """\
# the app's split: TEST_SIZE of each label's rows held out for testing, drawn with SPLIT_SEED
train_rows, test_rows = train_test_split(
    np.arange(len(y)), test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y
)
train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)  # the file's order, as the app
train_texts, y_train = [texts[i] for i in train_rows], y[train_rows]
test_texts, y_test = [texts[i] for i in test_rows], y[test_rows]"""

_SHARE = """
# TRAIN_SHARE of each label's training posts (at least one), kept in their order
draw = np.random.default_rng([SEED, 1])  # a stream of its own, not the shuffle's
keep = []
for label in np.unique(y_train):
    members = np.flatnonzero(y_train == label)
    keep.extend(draw.permutation(members)[: max(1, round(TRAIN_SHARE * members.size))])
keep = np.sort(keep)
X_train, y_train = X_train[keep], y_train[keep]"""


def _newsgroups(config: TrainConfig) -> str:
    remove = ", remove=REMOVE" if config.remove else ""
    return (
        "# 20 Newsgroups' by-date split; labels number the groups in alphabetical order\n"
        f'train = fetch_20newsgroups(subset="train", categories=CATEGORIES{remove})\n'
        f'test = fetch_20newsgroups(subset="test", categories=CATEGORIES{remove})\n'
        "names = train.target_names\n"
        "train_texts, y_train = train.data, train.target\n"
        "test_texts, y_test = test.data, test.target"
    )


def _filled(parts: dict[str, str]) -> str:
    """The template with its marked parts replaced: a block by parts[name], indented as its
    markers, with the blank lines the template has after it (gone if empty); a line by
    parts[name]."""

    def indented(text: str, indent: str) -> str:
        return "".join((indent + line if line else "") + "\n" for line in text.splitlines())

    def block(match: re.Match) -> str:
        text = parts[match["name"]]
        blank = len(match["body"]) - len(match["body"].rstrip("\n")) - 1
        return indented(text, match["indent"]) + "\n" * blank if text else ""

    def line(match: re.Match) -> str:
        return indented(parts[match["name"]], match["indent"])

    return _LINE.sub(line, _BLOCK.sub(block, TEMPLATE.read_text(encoding="utf-8")))


def _layers(config: TrainConfig) -> tuple[str, str]:
    """The network's docstring, and the modules after its first layer, one a line."""
    activation = f"nn.{ACTIVATION_NAMES[config.activation]}()"
    after = [activation] + (["nn.Dropout(DROPOUT)"] if config.dropout else [])
    rest = []
    for _ in range(config.layers - 1):
        rest += [*after, "nn.Linear(HIDDEN, HIDDEN)"]
    rest += [*after, "nn.Linear(HIDDEN, classes)"]
    count = ("One hidden layer", "Two hidden layers", "Three hidden layers", "Four hidden layers")
    then = ("each then " if config.layers > 1 else "then ") + " and ".join(
        module[3:].split("(")[0] for module in after
    )
    summary = f"{count[config.layers - 1]} of HIDDEN units, {then}; then the classifier."
    return f'"""{summary}"""', "\n".join(f"{module}," for module in rest)


def _optimizer(config: TrainConfig) -> str:
    decay = ", weight_decay=WEIGHT_DECAY" if config.weight_decay else ""
    if config.optimizer == "adam":
        return f"torch.optim.Adam(model.parameters(), lr=LR{decay})"
    return f"torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9{decay})"


def _reader(data: OwnData) -> str:
    """The script's lines that read the person's file and split it as the app does."""
    files = [f for f in (data.train, data.test) if f is not None]
    json_lines = {f.delimiter is None for f in files}
    if len(json_lines) > 1:  # one file of each kind
        rows, parameter = _ANY_ROWS, ", delimiter"
    else:
        rows, parameter = (_JSON_ROWS, "") if True in json_lines else (_CSV_ROWS, ", delimiter")

    def call(file: OwnFile, name: str) -> str:
        delimiter = f", {_literal(file.delimiter) if file.delimiter else None}" if parameter else ""
        return f"read({name}, {_literal(file.encoding)}{delimiter})"

    order = ", key=float)  # every label is a number: 2 before 10" if data.numeric_labels else ")"
    text = _READ.substitute(delimiter=parameter, rows=rows) + (
        f"\n\ntexts, labels = {call(data.train, 'DATA')}\n"
        f"names = sorted(set(labels){order}\n"
        "index = {name: i for i, name in enumerate(names)}\n"
        "y = np.array([index[label] for label in labels])"
    )
    if data.test is None:
        return f"{text}\n\n{_SPLIT}"
    return (
        f"{text}\n"
        "train_texts, y_train = texts, y\n"
        f"test_texts, test_labels = {call(data.test, 'TEST_DATA')}\n"
        "y_test = np.array([index[label] for label in test_labels])"
    )


def _imports(config: TrainConfig, data: OwnData | None) -> str:
    standard = ["import math"]
    if data is not None:
        files = [f for f in (data.train, data.test) if f is not None]
        standard += ["import csv"] if any(f.delimiter for f in files) else []
        standard += ["import json"] if any(f.delimiter is None for f in files) else []
    vectorizer = "TfidfVectorizer" if config.features == "tfidf" else "CountVectorizer"
    others = ["import numpy as np", "import torch"]
    if data is None:
        others.append("from sklearn.datasets import fetch_20newsgroups")
    others.append(f"from sklearn.feature_extraction.text import {vectorizer}")
    if data is not None and data.test is None:
        others.append("from sklearn.model_selection import train_test_split")
    others.append("from torch import nn")
    return "\n".join(sorted(standard)) + "\n\n" + "\n".join(others)


def _features(config: TrainConfig) -> str:
    cap = "max_features=MAX_FEATURES, " if config.max_features else ""
    if config.features == "tfidf":
        # sublinear: one long post's repetitions do not dominate its row
        make = f"TfidfVectorizer({cap}sublinear_tf=True, dtype=np.float32)"
        said = "TF-IDF of 1 + log(count), each row of length 1"
    else:
        make = f"CountVectorizer({cap}dtype=np.float32)"
        said = "word counts"
    return f"# {said}, from a vocabulary of the training posts alone\nvectorizer = {make}"


def training_script(config: TrainConfig, data: OwnData | None = None) -> str:
    """One self-contained, ruff-formatted script that trains config's network on 20 Newsgroups (or
    the person's file, read by its original name) with plain PyTorch, the test accuracy printed
    last (`accuracy 0.9568`); it imports torch, scikit-learn, numpy and the standard library."""
    summary, layers = _layers(config)
    return _filled(
        {
            "about": "",
            "command": _command_comment(train_command(config, data)),
            "imports": _imports(config, data),
            "settings": _settings(config, data),
            "data": _newsgroups(config) if data is None else _reader(data),
            "features": _features(config),
            "share": _SHARE if config.train_share < 1 else "",
            "summary": summary,
            "layers": layers,
            "optimizer": f"optimizer = {_optimizer(config)}",
        }
    )

"""`python -m textclf code`'s script: run in a fresh process, it scores what `train` scores."""

import ast
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.realfiles import delimited, subject_rows
from tests.runs import run
from textclf.io.export import TEMPLATE, OwnData, OwnFile, own_data, training_script
from textclf.io.tables import corpus_from_tables, read_table
from textclf.learn.config import TUTORIAL, TrainConfig, replace


def textclf_code(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "textclf", "code", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def run_script(script: str, folder) -> list[str]:
    """The script's output lines, run as a learner runs it: a file of its own, in a fresh
    process, from the folder that holds their data (the environment, SCIKIT_LEARN_DATA with
    it, passed through)."""
    path = folder / "train_script.py"
    path.write_text(script)
    result = subprocess.run(
        [sys.executable, path.name], capture_output=True, text=True, cwd=folder, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


SETTINGS = {
    "tutorial": [],
    "tanh, one layer": ["--activation", "tanh", "--layers", "1"],
    "tfidf, honest, dropout": [
        *("--features", "tfidf", "--remove", "headers,footers,quotes", "--dropout", "0.5")
    ],
}


def subjects_file(folder):
    """Newsgroup subject lines and their groups: a person's own CSV file (4,852 rows)."""
    path = folder / "subjects.csv"
    path.write_text(delimited(subject_rows(), ["subject", "group"]))
    return path


@pytest.mark.slow
@pytest.mark.parametrize("args", SETTINGS.values(), ids=SETTINGS.keys())
def test_the_script_scores_what_train_scores(args, tmp_path, tutorial_run):
    printed = textclf_code(*args)
    assert printed.returncode == 0, printed.stderr
    assert len(printed.stdout.splitlines()) <= 110
    last = run_script(printed.stdout, tmp_path)[-1]
    assert last.startswith("accuracy ") and len(last.split()[1]) == 6  # accuracy 0.9568
    config = build_config(args)
    app = tutorial_run if config == TUTORIAL else run(config)
    # the same initial weights, batches and steps; the app's sparse arithmetic and its Adam,
    # which catches a word's rows up only when a batch holds it, round a little differently
    assert float(last.split()[1]) == pytest.approx(app.report.accuracy, abs=0.01)


@pytest.mark.slow
def test_the_script_reads_your_own_file_as_train_does(tmp_path):
    path = subjects_file(tmp_path)
    printed = textclf_code("--data", str(path))
    assert printed.returncode == 0, printed.stderr
    assert 'DATA = "subjects.csv"' in printed.stdout  # by the name it had, not where it was
    assert 'TEXT, LABEL = "subject", "group"' in printed.stdout  # the guessed columns
    assert len(printed.stdout.splitlines()) <= 110
    last = run_script(printed.stdout, tmp_path)[-1]
    corpus = corpus_from_tables(read_table(path))
    app = run(TUTORIAL, corpus)
    assert float(last.split()[1]) == pytest.approx(app.report.accuracy, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["spaced.csv", "spaced.jsonl"])
def test_the_script_reads_column_names_with_spaces_around_them_as_train_does(tmp_path, name):
    rows = subject_rows()[:1500]
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text(delimited(rows, [" subject ", " group "]))
    else:
        path.write_text("".join(json.dumps({"subject ": t, " group": g}) + "\n" for t, g in rows))
    printed = textclf_code("--data", str(path), "--epochs", "2")
    assert printed.returncode == 0, printed.stderr
    last = run_script(printed.stdout, tmp_path)[-1]
    assert last.startswith("accuracy ") and float(last.split()[1]) > 0.5


def build_config(args: list[str]) -> TrainConfig:
    from textclf.cli import build_parser
    from textclf.learn.config import config_fields

    parsed = build_parser().parse_args(["code", *args])
    return TrainConfig(**{name: getattr(parsed, name) for name in config_fields()})


def imports(script: str) -> set[str]:
    """The top-level packages a script imports."""
    names = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


EVERY_OPTION = TrainConfig(
    categories=("alt.atheism", "comp.graphics", "sci.med", "talk.politics.guns"),
    remove=("headers", "quotes"),
    features="tfidf",
    max_features=20_000,
    layers=4,
    dropout=0.25,
    activation="gelu",
    optimizer="sgd",
    weight_decay=1e-4,
    train_share=0.5,
    seed=7,
)
MIXED_FILES = OwnData(
    OwnFile("train.jsonl", None, "utf-8-sig"),
    "text",
    "label",
    numeric_labels=True,
    test=OwnFile("test.tsv", "\t", "latin-1"),
)
SCRIPTS = {
    "tutorial": (TUTORIAL, None),
    "every option": (EVERY_OPTION, None),
    "own file": (
        replace(TUTORIAL, dropout=0.5),
        OwnData(OwnFile("a.csv", ";", "utf-16"), "t", "l"),
    ),
    "two files": (EVERY_OPTION, MIXED_FILES),
}


@pytest.mark.parametrize("config, data", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_the_script_is_short_formatted_and_needs_no_textclf(config, data):
    script = training_script(config, data)
    imported = imports(script)
    assert imported - sys.stdlib_module_names <= {"torch", "sklearn", "numpy"}, imported
    lines = script.splitlines()
    assert len(lines) <= (90 if config == TUTORIAL else 135), len(lines)  # every option at once
    assert max(map(len, lines)) <= 100
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--diff", "--stdin-filename", "script.py", "-"],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,  # the project's settings: line length 100
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    if config == TUTORIAL:  # only the code the settings use
        assert "Tfidf" not in script and "Dropout" not in script
        assert "WEIGHT_DECAY" not in script and "TRAIN_SHARE" not in script


def test_the_template_is_the_tutorials_script_lint_clean_with_its_parts_marked():
    """textclf/io/script_template.py is real Python that ruff passes as it is, and, its markers
    taken out, the very script the tutorial's run exports."""
    for check in (["check"], ["format", "--check"]):
        linted = subprocess.run(
            [sys.executable, "-m", "ruff", *check, str(TEMPLATE)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr
    template = TEMPLATE.read_text(encoding="utf-8")
    about = template.index("# [about]\n"), template.index("# [/about]\n") + len("# [/about]\n")
    unmarked = template[: about[0]] + template[about[1] :]
    unmarked = re.sub(r"^ *# \[/?\w+\]\n|  # \[\w+\](?=\n)", "", unmarked, flags=re.M)
    assert training_script(TUTORIAL) == unmarked
    assert len(re.findall(r"# \[/\w+\]", template)) >= 6  # the parts a run's settings fill


def test_names_from_a_file_stay_names_in_the_script(tmp_path):
    name = 'evil"""\nimport os; os.remove("x")#.csv'
    text_column = '"sa\\ys"\u202e'
    path = tmp_path / name
    path.write_text(delimited(subject_rows()[::20], [text_column, "label"]))
    script = training_script(TUTORIAL, own_data(path))
    tree = ast.parse(script)  # no name ended a string or a comment: nothing of theirs runs
    values = {}
    for node in tree.body:  # the settings: NAME = literal, or A, B = literal, literal
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        names = [n.id for n in getattr(target, "elts", [target])] if target else []
        if names and all(name.isupper() for name in names):
            value = ast.literal_eval(node.value)
            values.update(zip(names, value if len(names) > 1 else [value], strict=True))
    assert values["DATA"] == name and values["TEXT"] == text_column
    assert "os" not in imports(script)
    assert all(line.isprintable() for line in script.splitlines())


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--hidden", "0"], "hidden: 0 is outside 1 to 1024"),
        (["--activation", "swish"], "activation"),
        (["--text-column", "body"], "need --data"),
        (["--data", "/no/such/file.csv"], "no such file"),
        (["--save", "m.pt"], "unrecognized arguments"),
    ],
)
def test_bad_options_exit_2_with_one_line(args, fragment):
    result = textclf_code(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr

"""The command line as a user runs it: a separate process, its exit code and its output. Most
refusals (bad options, damaged model files) run main() in this process instead, capturing what it
writes to the terminal as a process would (a new Python spends about 3 s importing torch and
scikit-learn); a few stay separate processes, to check what a terminal gets."""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.modelfiles import altered, inflated
from tests.realfiles import delimited, saying_rows, subject_rows
from textclf.io.tables import corpus_from_tables, read_table


def textclf(*args, stdin=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "textclf", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        input=stdin,
        timeout=300,
        env=env,
    )


def refused_here(capfd, *args) -> subprocess.CompletedProcess:
    """`python -m textclf *args` run by main() in this process: its exit code and its output,
    file descriptors 1 and 2 (what torch or scikit-learn would write there too)."""
    from textclf.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit:  # argparse's errors
        code = exit.code
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


@pytest.mark.slow
def test_train_json_prints_one_object_with_the_scores(tmp_path):
    model = tmp_path / "model.pt"
    result = textclf("train", "--epochs", "3", "--hidden", "32", "--json", "--save", str(model))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # exactly one JSON document on stdout
    for key in ("accuracy", "train_seconds", "labels", "confusion_matrix", "per_class", "history"):
        assert key in summary
    assert summary["labels"] == ["comp.graphics", "rec.sport.baseball", "sci.space"]
    assert [r["epoch"] for r in summary["history"]] == [0, 1, 2, 3]  # from before any step
    assert summary["epochs_run"] == 3
    assert sum(map(sum, summary["confusion_matrix"])) == 1180
    assert set(summary["per_class"]["sci.space"]) >= {"precision", "recall", "f1", "support"}
    assert summary["accuracy"] > 0.9
    assert "epoch   3/3" in result.stderr  # progress goes to stderr when stdout is JSON

    predicted = textclf("predict", "--model", str(model), "the pitcher threw a curveball", "--json")
    assert predicted.returncode == 0, predicted.stderr
    probabilities = json.loads(predicted.stdout)["probabilities"]
    assert max(probabilities, key=probabilities.get) == "rec.sport.baseball"


@pytest.mark.slow
def test_train_prints_epochs_and_a_summary():
    result = textclf(
        "train", "--epochs", "2", "--categories", "sci.space,rec.autos", "--remove", "headers"
    )
    assert result.returncode == 0, result.stderr
    assert "epoch   1/2" in result.stdout and "epoch   2/2" in result.stdout
    assert "test accuracy" in result.stdout and "rec.autos" in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--hidden", "0"], "hidden"),
        (["--hidden", "ten"], "not a whole number"),
        (["--lr", "fast"], "not a number"),
        (["--categories", "sci.space,sci.fiction"], "unknown newsgroup sci.fiction"),
        (["--categories", "sci.space"], "at least two"),
        (["--features", "bert"], "features"),
        (["--remove", "everything"], "remove"),
        (["--no-such-option"], "unrecognized arguments"),
        (["--epochs", "0"], "epochs: 0 is outside 1 to 200"),
        (["--lr", "0"], "lr: 0.0 is outside"),
        (["--batch-size", "2000"], "larger than the 1,774 training posts"),
        (["--data", "/no/such/file.csv"], "no such file"),
        (["--test-size", "0.9", "--data", "x.csv"], "outside 0.05 to 0.5"),
        (["--text-column", "body"], "need --data"),
        (["--split-seed", "-1", "--data", "x.csv"], "-1 is outside 0 to"),
    ],
)
def test_bad_options_exit_2_with_one_line(capfd, args, fragment):
    result = refused_here(capfd, "train", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert result.stdout == ""


def one_line_error(result, command="predict") -> str:
    """The one line a refused command prints on stderr (exit code 2, nothing on stdout)."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].isprintable(), result.stderr
    assert lines[0].startswith(f"python -m textclf {command}: error: ")
    return lines[0]


def test_predict_refuses_a_file_that_is_not_a_model(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 100)
    result = textclf("predict", "--model", str(junk), "hello")
    assert "not an intact textclf model" in one_line_error(result)


@pytest.fixture(scope="module")
def model_bytes(tutorial_run):
    from textclf.io.persist import classifier_to_bytes

    return classifier_to_bytes(tutorial_run.classifier)


def set_labels(labels):
    def change(payload):
        payload["meta"]["labels"] = labels

    return change


def nan_bias(payload):
    payload["state_dict"]["head.bias"][1] = float("nan")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda data: data[: len(data) // 3], "not an intact textclf model file"),
        (lambda data: altered(data, set_labels([1, 2, 3])), "labels are not a list of texts"),
        (lambda data: altered(data, set_labels(["a", "b"])), "head.weight is (3, 100)"),
        (lambda data: altered(data, set_labels(["a", "b", "c", "d"])), "head.weight is (3, 100)"),
        (lambda data: altered(data, set_labels(["a", "a", "b"])), "label 'a' appears twice"),
        (lambda data: altered(data, nan_bias), "head.bias holds values that are not finite"),
        (lambda data: b"PK\x05\x06" + bytes(18), "not an intact textclf model file"),
    ],
)
def test_predict_refuses_a_damaged_or_altered_model_in_one_line(
    capfd, tmp_path, model_bytes, make, says
):
    path = tmp_path / "model.pt"
    path.write_bytes(make(model_bytes))
    result = refused_here(capfd, "predict", "--model", str(path), "the pitcher")
    assert says in one_line_error(result)


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/dev/zero", "/dev/zero is not a regular file but a device, a pipe or a folder: give"),
        ("/tmp", "/tmp is not a regular file"),
        ("/no/such/model.pt", "/no/such/model.pt: no such file"),
    ],
)
def test_predict_refuses_what_is_not_a_file_at_once(capfd, path, says):
    result = refused_here(capfd, "predict", "--model", path, "the pitcher")
    assert says in one_line_error(result)


# A child's peak memory (ru_maxrss) counts what its parent held when it was forked, until it
# runs its program: measured from a pytest process that has grown, a small CLI run looks huge.
# So a small launcher starts it and reports the peak of that child alone.
LAUNCHER = (
    "import os, subprocess, sys; child = subprocess.Popen(sys.argv[1:]);"
    "_, status, usage = os.wait4(child.pid, 0); print(usage.ru_maxrss, file=sys.stderr);"
    "sys.exit(os.waitstatus_to_exitcode(status))"
)


def peak_of(*args) -> tuple[int, str, float]:
    """Runs `python -m textclf *args`: its exit code, its stderr and its peak memory in MB."""
    with tempfile.TemporaryFile() as stderr:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "textclf", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            timeout=300,
        )
        stderr.seek(0)
        *lines, peak = stderr.read().decode().splitlines()
        return done.returncode, "\n".join(lines), int(peak) / 1024


@pytest.mark.slow
def test_predict_refuses_a_4_gib_tensor_in_a_few_mb_without_allocating_it(tmp_path, model_bytes):
    path = tmp_path / "bomb.pt"
    path.write_bytes(inflated(model_bytes, 2**30))  # made 4.6 GB of memory before it was refused
    code, stderr, peak_mb = peak_of("predict", "--model", str(path), "the pitcher")
    assert code == 2 and "is compressed" in stderr and len(stderr.splitlines()) == 1
    assert peak_mb < 1000  # a predict with the intact model peaks at about 420 MB


@pytest.mark.slow
def test_labels_from_a_model_file_reach_the_terminal_escaped(tmp_path, model_bytes):
    labels = ["\x1b[2J\x1b[31mred", "bell\x07\nnext line", "rtl\u202eltr"]
    path = tmp_path / "model.pt"
    path.write_bytes(altered(model_bytes, set_labels(labels)))
    result = textclf("predict", "--model", str(path), "--explain", "the pitcher threw")
    assert result.returncode == 0, result.stderr
    assert all(line.isprintable() for line in result.stdout.splitlines())
    for shown in ("\\x1b[2J\\x1b[31mred", "bell\\x07\\nnext line", "rtl\\u202eltr"):
        assert shown in result.stdout
    as_json = textclf("predict", "--model", str(path), "--json", "the pitcher threw")
    assert set(json.loads(as_json.stdout)["probabilities"]) == set(labels)  # JSON escapes itself
    assert as_json.stdout.isascii()


def test_predict_reads_standard_input_no_further_than_its_limit(tmp_path, model_bytes):
    path = tmp_path / "model.pt"
    path.write_bytes(model_bytes)
    result = textclf("predict", "--model", str(path), "-", stdin="pitcher " * 700_000)
    assert result.returncode == 0 and "over 5,000,000 characters" in result.stdout


@pytest.mark.slow
def test_predict_explains_its_answer(tmp_path):
    model = tmp_path / "model.pt"
    assert textclf("train", "--epochs", "2", "--save", str(model)).returncode == 0
    result = textclf("predict", "--model", str(model), "--explain", "the pitcher threw zzqx")
    assert result.returncode == 0, result.stderr
    assert "raise rec.sport.baseball:" in result.stdout and "pitcher" in result.stdout
    assert "never seen in training: zzqx" in result.stdout
    as_json = textclf("predict", "--model", str(model), "--explain", "--json", "the pitcher threw")
    words = json.loads(as_json.stdout)["explanation"]["words"]["rec.sport.baseball"]
    assert words["pitcher"] > 0


def best_baseline(corpus) -> float:
    """The best of three scikit-learn linear models on TF-IDF of the same split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    X_train = vectorizer.fit_transform(corpus.train_texts)
    X_test = vectorizer.transform(corpus.test_texts)
    models = (ComplementNB(alpha=0.1), LogisticRegression(C=5, max_iter=1000), LinearSVC(C=0.5))
    return max(
        float(np.mean(m.fit(X_train, corpus.train_labels).predict(X_test) == corpus.test_labels))
        for m in models
    )


BEST = ["--features", "tfidf", "--layers", "1", "--hidden", "128", "--dropout", "0.5"]
BEST += ["--batch-size", "64", "--epochs", "4"]


@pytest.mark.parametrize(
    "name, rows, header, encode",
    [
        ("subjects.csv", subject_rows, ["subject", "group"], lambda text: text.encode()),
        (
            "sprüche.csv",
            saying_rows,
            ["Spruch", "Art"],
            lambda text: b"\xef\xbb\xbf" + text.encode(),
        ),
    ],
)
@pytest.mark.slow
def test_train_on_your_own_file_comparable_to_scikit_learn(tmp_path, name, rows, header, encode):
    path = tmp_path / name
    path.write_bytes(encode(delimited(rows(), header)))
    result = textclf("train", "--data", str(path), *BEST, "--json", "--save", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    corpus = corpus_from_tables(read_table(path))  # the same split: test size 0.2, seed 0
    assert summary["data"] == name
    assert summary["labels"] == list(corpus.label_names)
    assert sum(map(sum, summary["confusion_matrix"])) == len(corpus.test_texts)
    assert summary["accuracy"] >= best_baseline(corpus) - 0.03, summary["accuracy"]

    text = corpus.test_texts[0]
    predicted = textclf("predict", "--model", str(tmp_path / "m"), text, "--explain", "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert set(json.loads(predicted.stdout)["probabilities"]) == set(corpus.label_names)


def test_train_refuses_a_device_as_data_in_one_line():
    says = "/dev/zero is not a regular file but a device, a pipe or a folder"
    assert says in one_line_error(textclf("train", "--data", "/dev/zero"), "train")


@pytest.mark.slow
def test_labels_from_a_data_file_reach_the_terminal_escaped(tmp_path):
    escape = {"rec.autos": "\x1b[2Jautos", "sci.med": "med\u202e"}
    rows = [(text, escape.get(group, group)) for text, group in subject_rows()[::10]]
    path = tmp_path / "subjects.csv"
    path.write_text(delimited(rows, ["subject", "group"]))
    result = textclf("train", "--data", str(path), "--epochs", "2")
    assert result.returncode == 0, result.stderr
    assert all(line.isprintable() for line in result.stdout.splitlines())
    assert "\\x1b[2Jautos" in result.stdout and "med\\u202e" in result.stdout


def test_a_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello there,spam\nanother one,spam\n")
    result = textclf("train", "--data", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "python -m textclf train: error: one.csv has one label only ('spam' in column "
        "'label'): a classifier needs at least two"
    ]


@pytest.mark.slow
def test_offline_archive_gives_the_same_network_as_the_cache(tmp_path, official_layout_archive):
    args = ["train", "--epochs", "2", "--hidden", "32", "--json"]
    cached = textclf(*args)
    env = {**os.environ, "SCIKIT_LEARN_DATA": str(tmp_path / "empty")}  # no cache, no network
    offline = textclf(*args, env=env)
    assert offline.returncode == 1 and "20news-bydate.tar.gz" in offline.stderr
    from_archive = textclf(*args, "--archive", str(official_layout_archive), env=env)
    assert from_archive.returncode == 0, from_archive.stderr
    assert json.loads(from_archive.stdout)["accuracy"] == json.loads(cached.stdout)["accuracy"]
    assert (tmp_path / "empty" / "20news-bydate_py3.pkz").exists()  # later runs need no archive


@pytest.mark.slow
def test_the_new_knobs_train_from_the_command_line_and_the_model_keeps_them(tmp_path):
    from textclf.io.persist import load_classifier

    model = tmp_path / "tanh.pt"
    result = textclf(
        "train", "--activation", "tanh", "--optimizer", "sgd", "--lr", "0.01",
        "--weight-decay", "0.0001", "--train-share", "0.5", "--epochs", "2", "--hidden", "16",
        "--json", "--save", str(model),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    config = summary["config"]
    assert (config["activation"], config["optimizer"]) == ("tanh", "sgd")
    assert (config["weight_decay"], config["train_share"]) == (0.0001, 0.5)
    assert summary["backend"] == "PyTorch (SGD, full table)"
    classifier = load_classifier(model)
    assert type(classifier.model.body[0]).__name__ == "Tanh"
    refused = textclf("train", "--activation", "softmax")
    assert refused.returncode == 2 and "relu, tanh, sigmoid, gelu" in refused.stderr


@pytest.mark.slow
def test_a_run_over_the_hosts_budget_is_refused_in_one_line_unless_lifted():
    heavy = ("train", "--hidden", "1024", "--layers", "4", "--epochs", "200", "--batch-size", "1")
    refused = textclf(*heavy)
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "lower the hidden units" in refused.stderr and "TEXTCLF_RUN_MB" in refused.stderr
    lifted = {**os.environ, "TEXTCLF_RUN_MB": "0", "TEXTCLF_RUN_SECONDS": "0"}
    allowed = textclf("train", "--hidden", "1024", "--epochs", "1", "--json", env=lifted)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize("command", ["train", "code"])
def test_a_json_lines_file_nested_1000_deep_exits_2_with_one_line(capfd, tmp_path, command):
    path = tmp_path / "deep.jsonl"
    nested = "[" * 1000 + "1" + "]" * 1000
    path.write_text(f'{{"text": {nested}, "label": "a"}}\n' + '{"text": "hi", "label": "b"}\n' * 9)
    result = refused_here(capfd, command, "--data", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"python -m textclf {command}: error: deep.jsonl, line 1: nested too deeply to be a row"
    ]


def test_exercise_options_are_taken_and_ignored_with_a_notice(capfd):
    """A link's lock=, hide= and task= have options of the same names, which say they do
    nothing here: the script printed is the one without them."""
    plain = refused_here(capfd, "code", "--hidden", "40")
    given = refused_here(
        capfd, "code", "--hidden", "40", "--lock", "hidden", "--hide", "seed", "--task", "Go"
    )
    assert given.returncode == 0 and given.stdout == plain.stdout
    assert given.stderr.strip() == (
        "note: --lock, --hide, --task shape an exercise page; the command line ignores them"
    )

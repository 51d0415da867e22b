"""The command line as a user runs it: a separate process, its exit code and its output."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ARCHIVE, ROOT
from tests.realfiles import delimited, saying_rows, subject_rows
from textclf.tables import corpus_from_tables, read_table


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


def test_train_json_prints_one_object_with_the_scores(tmp_path):
    model = tmp_path / "model.pt"
    result = textclf("train", "--epochs", "3", "--hidden", "32", "--json", "--save", str(model))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)  # exactly one JSON document on stdout
    for key in ("accuracy", "train_seconds", "labels", "confusion_matrix", "per_class", "history"):
        assert key in summary
    assert summary["labels"] == ["comp.graphics", "rec.sport.baseball", "sci.space"]
    assert len(summary["history"]) == 3 and summary["history"][0]["epoch"] == 1
    assert sum(map(sum, summary["confusion_matrix"])) == 1180
    assert set(summary["per_class"]["sci.space"]) >= {"precision", "recall", "f1", "support"}
    assert summary["accuracy"] > 0.9
    assert "epoch   3/3" in result.stderr  # progress goes to stderr when stdout is JSON

    predicted = textclf("predict", "--model", str(model), "the pitcher threw a curveball", "--json")
    assert predicted.returncode == 0, predicted.stderr
    probabilities = json.loads(predicted.stdout)["probabilities"]
    assert max(probabilities, key=probabilities.get) == "rec.sport.baseball"


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
def test_bad_options_exit_2_with_one_line(args, fragment):
    result = textclf("train", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert result.stdout == ""


def test_predict_refuses_a_file_that_is_not_a_model(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00" * 100)
    result = textclf("predict", "--model", str(junk), "hello")
    assert result.returncode == 1 and "not an intact textclf model" in result.stderr
    assert "Traceback" not in result.stderr


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


def test_a_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello there,spam\nanother one,spam\n")
    result = textclf("train", "--data", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "python -m textclf train: error: one.csv has one label only ('spam' in column "
        "'label'): a classifier needs at least two"
    ]


def test_offline_archive_gives_the_same_network_as_the_cache(tmp_path):
    args = ["train", "--epochs", "2", "--hidden", "32", "--json"]
    cached = textclf(*args)
    env = {**os.environ, "SCIKIT_LEARN_DATA": str(tmp_path / "empty")}  # no cache, no network
    offline = textclf(*args, env=env)
    assert offline.returncode == 1 and "20news-bydate.tar.gz" in offline.stderr
    from_archive = textclf(*args, "--archive", str(ARCHIVE), env=env)
    assert from_archive.returncode == 0, from_archive.stderr
    assert json.loads(from_archive.stdout)["accuracy"] == json.loads(cached.stdout)["accuracy"]
    assert (tmp_path / "empty" / "20news-bydate_py3.pkz").exists()  # later runs need no archive

"""The command line as a user runs it: a separate process, its exit code and its output."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def textclf(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "textclf", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        input=stdin,
        timeout=300,
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

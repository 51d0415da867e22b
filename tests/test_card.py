"""The model card: each section holds the run's own numbers, checked against scikit-learn's
metrics computed here from the run's test probabilities."""

import re

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from tests.test_calibration import reference
from textclf.cli import main
from textclf.inspect.card import model_card
from textclf.inspect.insight import baseline_report


def section(card: str, title: str) -> str:
    return card.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_each_section_holds_the_runs_numbers(tutorial_run, corpus, features):
    run = tutorial_run
    baseline = baseline_report(corpus, features)
    card = model_card(run, corpus, baseline, "Open http://localhost:8501/", suspects=17)
    predicted = run.test_probabilities.argmax(1)
    labels = run.test_labels

    data = section(card, "Data")
    assert f"{len(corpus.train_labels):,} training and {len(labels):,} test texts" in data
    assert "comp.graphics, rec.sport.baseball, sci.space" in data

    settings = section(card, "Settings")
    assert "| hidden | 100 |" in settings and "| lr | 0.01 |" in settings

    scores = section(card, "How well it does")
    assert f"**{(predicted == labels).mean():.2%}**" in scores
    assert f"{baseline.accuracy:.2%}" in scores
    precision, recall, f1, support = precision_recall_fscore_support(labels, predicted)
    for i, label in enumerate(corpus.label_names):
        row = f"| {label} | {precision[i]:.3f} | {recall[i]:.3f} | {f1[i]:.3f} | {support[i]} |"
        assert row in scores
    matrix = confusion_matrix(labels, predicted)
    np.fill_diagonal(matrix, 0)
    true, guess = np.unravel_index(matrix.argmax(), matrix.shape)
    first_pair = re.search(r"Most confused.*\n- (.+) → (.+): (\d+)", scores)
    assert first_pair.groups() == (
        corpus.label_names[true],
        corpus.label_names[guess],
        str(matrix[true, guess]),
    )

    sure = section(card, "How sure it is")
    rows, ece = reference(run.test_probabilities, labels)
    assert f"Expected calibration error: {ece:.3f}" in sure
    assert f"(ComplementNB: {baseline.reliability.ece:.3f})" in sure
    for count, confidence, accuracy in rows:
        assert f"| {count} | {confidence:.3f} | {accuracy:.3f} |" in sure

    caveats = section(card, "Caveats")
    assert "Headers were kept" in caveats  # the tutorial keeps them
    assert "Suspect labels: 17 test texts" in caveats
    assert "`python -m textclf code`" in section(card, "Reproduce")


@pytest.mark.slow
def test_the_card_command_prints_the_card_of_the_run_train_makes(capfd):
    """Same options, same network: the card's accuracy is the one `train --json` reports."""
    assert (
        main(["card", "--hidden", "40", "--epochs", "3", "--remove", "headers", "--no-suspects"])
        == 0
    )
    card, _ = capfd.readouterr()
    assert main(["train", "--hidden", "40", "--epochs", "3", "--remove", "headers", "--json"]) == 0
    trained = __import__("json").loads(capfd.readouterr()[0])
    assert card.startswith("# Model card: a bag-of-words MLP on 20 Newsgroups")
    assert f"**{trained['accuracy']:.2%}**" in card
    assert f"Expected calibration error: {trained['ece']:.3f}" in card
    assert "Headers were kept" not in card  # stripped
    assert "Suspect labels: not searched" in card  # --no-suspects: the page's card counts them
    assert "?remove=headers&hidden=40&epochs=3" in card
    assert "python -m textclf code --remove headers --hidden 40 --epochs 3" in card

"""Suspect labels: the ranking, and the search on real posts, whose indexes point at the posts
that fetch_20newsgroups itself returns."""

import json

import numpy as np
import pytest
from sklearn.datasets import fetch_20newsgroups

from textclf.cli import main
from textclf.inspect.suspects import rank_suspects


def test_the_least_believed_label_comes_first_and_agreed_labels_never():
    probabilities = np.array(
        [[0.9, 0.1], [1e-12, 1 - 1e-12], [0.4, 0.6], [1e-30, 1 - 1e-30], [0.2, 0.8]]
    )
    labels = np.array([0, 0, 0, 0, 1])  # the last agrees with its label
    found = rank_suspects(np.log(probabilities), labels, ("a", "b"), top=10)
    assert [s.position for s in found] == [3, 1, 2]  # 1e-30 below 1e-12: logs keep them apart
    assert [(s.given, s.guess) for s in found] == [("a", "b")] * 3
    assert found[0].score == pytest.approx(30 * np.log(10))


@pytest.mark.slow
def test_the_command_ranks_real_posts_by_their_place_in_the_official_test_set(capfd):
    """--json: each index is the post's place in fetch_20newsgroups(subset="test") with its
    default arguments, and given is that post's own group."""
    assert main(["suspects", "--top", "10", "--json"]) == 0
    out, err = capfd.readouterr()
    rows = json.loads(out)
    assert len(rows) == 10 and "fold 5/5" in err
    official = fetch_20newsgroups(subset="test")
    tutorial = {"comp.graphics", "rec.sport.baseball", "sci.space"}
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    for row in rows:
        assert official.target_names[official.target[row["index"]]] == row["given"]
        assert row["given"] in tutorial and row["guess"] in tutorial - {row["given"]}

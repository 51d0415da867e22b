"""Shared fixtures: the real 20 Newsgroups data from scikit-learn's cache, loaded once a session."""

import os
from pathlib import Path

import pytest

from textclf.config import TUTORIAL
from textclf.data import load_newsgroups
from textclf.features import fit_features
from textclf.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT.parent / "shared" / "data" / "20news-bydate.tar.gz"  # the official archive


def pytest_configure(config):
    cache = os.environ.get("SCIKIT_LEARN_DATA")
    if not cache or not (Path(cache) / "20news-bydate_py3.pkz").exists():
        raise pytest.UsageError(
            "Set SCIKIT_LEARN_DATA to the absolute path of a folder holding scikit-learn's "
            "20news-bydate_py3.pkz (the team's copy: ../shared/data/scikit_learn_data)."
        )


@pytest.fixture(scope="session")
def corpus():
    """The tutorial's three groups, metadata kept."""
    return load_newsgroups(TUTORIAL.categories)


@pytest.fixture(scope="session")
def features(corpus):
    return fit_features(corpus, "counts")


@pytest.fixture(scope="session")
def tutorial_run(corpus, features):
    """The tutorial's configuration trained once (seed 0), shared by read-only tests."""
    return run(TUTORIAL, corpus, features)

"""Shared fixtures: the real 20 Newsgroups data from scikit-learn's cache, loaded once a session."""

import os
from pathlib import Path
from types import CodeType

import pytest

from textclf.config import TUTORIAL
from textclf.data import DataUnavailable, has_newsgroups, load_newsgroups
from textclf.features import fit_features
from textclf.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
# The official archive 20news-bydate.tar.gz, for the tests of the offline path. A test that names
# ARCHIVE is skipped, with the reason, where NEWSGROUPS_ARCHIVE does not name the file (CI sets it).
_GIVEN_ARCHIVE = os.environ.get("NEWSGROUPS_ARCHIVE")
ARCHIVE = Path(_GIVEN_ARCHIVE).resolve() if _GIVEN_ARCHIVE else None


def pytest_configure(config):
    """The data as the app gets it: scikit-learn's cache (SCIKIT_LEARN_DATA, else its default
    ~/scikit_learn_data), downloaded there first if missing. Without it and without a network,
    one clear error instead of a failure per test."""
    if has_newsgroups():
        return
    try:
        load_newsgroups(TUTORIAL.categories)  # the app's own fetch: caches all 20 groups
    except DataUnavailable as error:
        raise pytest.UsageError(str(error)) from error


def _names(code: CodeType) -> set[str]:
    """The global and attribute names a function's code uses, nested functions included."""
    nested = (c for c in code.co_consts if isinstance(c, CodeType))
    return set(code.co_names).union(*map(_names, nested))


def pytest_collection_modifyitems(config, items):
    if ARCHIVE is not None and ARCHIVE.is_file():
        return
    where = f"{ARCHIVE} does not exist" if ARCHIVE else "NEWSGROUPS_ARCHIVE is not set"
    skip = pytest.mark.skip(
        reason=f"needs the official archive 20news-bydate.tar.gz: {where} (set "
        "NEWSGROUPS_ARCHIVE to the file's path to run it; CI does)"
    )
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and "ARCHIVE" in _names(function.__code__):
            item.add_marker(skip)


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

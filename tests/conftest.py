"""Shared fixtures: the real 20 Newsgroups data from scikit-learn's cache, loaded once a session."""

import io
import tarfile
from pathlib import Path

import pytest

from tests.runs import run
from textclf.learn.config import TUTORIAL
from textclf.learn.data import DataUnavailable, has_newsgroups, load_newsgroups
from textclf.learn.features import fit_features

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture(scope="session")
def official_layout_archive(tmp_path_factory) -> Path:
    """A 20news-bydate.tar.gz in the official layout (20news-bydate-train/<group>/<number>, the
    same for test), made from scikit-learn's cache: all 20 groups, so that unpacking orders the
    posts as the cache does, each post's bytes as the archive held them. The offline path's
    tests need no copy of the real one."""
    from sklearn.datasets import fetch_20newsgroups

    archive = tmp_path_factory.mktemp("archive") / "20news-bydate.tar.gz"

    def folder(name: str) -> tarfile.TarInfo:
        member = tarfile.TarInfo(name)
        member.type, member.mode = tarfile.DIRTYPE, 0o755
        return member

    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for subset in ("train", "test"):
            tar.addfile(folder(f"20news-bydate-{subset}"))
            posts = fetch_20newsgroups(subset=subset)
            for group in posts.target_names:
                tar.addfile(folder(f"20news-bydate-{subset}/{group}"))
            for text, path in zip(posts.data, posts.filenames, strict=True):
                group, number = Path(path).parts[-2:]
                member = tarfile.TarInfo(f"20news-bydate-{subset}/{group}/{number}")
                data = text.encode("latin-1")  # as scikit-learn decoded it
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
    return archive


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

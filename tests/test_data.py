import os
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT
from textclf.learn.config import TUTORIAL
from textclf.learn.data import DataUnavailable, install_archive, load_newsgroups


def test_tutorial_groups_have_the_known_sizes(corpus):
    assert len(corpus.train_texts) == 1774 and len(corpus.test_texts) == 1180
    assert corpus.label_names == ("comp.graphics", "rec.sport.baseball", "sci.space")
    assert set(corpus.train_labels) == {0, 1, 2}
    assert len(corpus.train_labels) == 1774 and len(corpus.test_labels) == 1180


def test_all_twenty_groups_load():
    from textclf.learn.config import NEWSGROUPS

    full = load_newsgroups(NEWSGROUPS)
    assert (len(full.train_texts), len(full.test_texts)) == (11314, 7532)
    assert full.label_names == NEWSGROUPS


def test_stripping_removes_headers(corpus):
    stripped = load_newsgroups(
        ("sci.space", "comp.graphics"), remove=("headers", "footers", "quotes")
    )

    def with_subject_line(texts):
        return sum(bool(re.search(r"^Subject:", text, re.M)) for text in texts) / len(texts)

    assert with_subject_line(corpus.train_texts) == 1.0
    assert with_subject_line(stripped.train_texts) < 0.01  # a few bodies quote a forwarded mail
    assert len(stripped.train_texts) == 593 + 584


def test_missing_data_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    with pytest.raises(DataUnavailable, match="SCIKIT_LEARN_DATA"):
        load_newsgroups(("sci.space", "comp.graphics"), download=False)


def test_corrupt_cache_gives_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "20news-bydate_py3.pkz").write_bytes(b"not a zlib pickle")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))
    with pytest.raises(DataUnavailable, match="could not be loaded"):
        load_newsgroups(("sci.space", "comp.graphics"), download=False)


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match="unknown newsgroup"):
        load_newsgroups(("sci.space", "sci.fiction"))


@pytest.mark.slow
def test_an_archive_in_the_official_layout_gives_the_posts_of_the_cache(
    corpus, tmp_path, official_layout_archive
):
    home = install_archive(official_layout_archive, tmp_path)
    unpacked = load_newsgroups(TUTORIAL.categories, download=False, home=home)
    assert unpacked.train_texts == corpus.train_texts and unpacked.test_texts == corpus.test_texts
    assert np.array_equal(unpacked.train_labels, corpus.train_labels)
    assert np.array_equal(unpacked.test_labels, corpus.test_labels)


def test_without_data_or_network_the_tests_stop_with_one_clear_error(tmp_path):
    # a newcomer without data: no SCIKIT_LEARN_DATA, an empty home, no network (a refusing proxy)
    env = {k: v for k, v in os.environ.items() if k != "SCIKIT_LEARN_DATA"}
    refused = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
    env.update(HOME=str(tmp_path), https_proxy=refused, http_proxy=refused, no_proxy="")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_links.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "could not be loaded from ~/scikit_learn_data" in result.stderr
    assert "SCIKIT_LEARN_DATA" in result.stderr and "Traceback" not in result.stderr


def test_an_archive_that_unpacks_past_the_official_ones_size_is_refused_unread(tmp_path):
    """70 members of 0.9 MB of zeros: a 70 KB file that would unpack to 63 MB. Refused from its
    headers, with nothing unpacked or written."""
    import io
    import tarfile

    archive = tmp_path / "20news-bydate.tar.gz"
    block = bytes(int(0.9 * 2**20))
    with tarfile.open(archive, "w:gz") as tar:
        for i in range(70):
            member = tarfile.TarInfo(f"20news-bydate-train/sci.space/{i}")
            member.size = len(block)
            tar.addfile(member, io.BytesIO(block))
    assert archive.stat().st_size < 2**20
    home = tmp_path / "home"
    with pytest.raises(DataUnavailable, match="unpacks to more than the official archive's"):
        install_archive(archive, home)
    assert not home.exists()

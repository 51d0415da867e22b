import re

import pytest

from textclf.data import DataUnavailable, load_newsgroups


def test_tutorial_groups_have_the_known_sizes(corpus):
    assert len(corpus.train_texts) == 1774 and len(corpus.test_texts) == 1180
    assert corpus.label_names == ("comp.graphics", "rec.sport.baseball", "sci.space")
    assert set(corpus.train_labels) == {0, 1, 2}
    assert len(corpus.train_labels) == 1774 and len(corpus.test_labels) == 1180


def test_all_twenty_groups_load():
    from textclf.config import NEWSGROUPS

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

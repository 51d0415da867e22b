"""Labelled files made from real texts, as a person would bring them: newsgroup subject lines (a
few thousand short English messages) and German sayings from Debian's fortunes-de package."""

import csv
import io
import re
from pathlib import Path

import pytest

from textclf.learn.data import load_newsgroups

SUBJECT_GROUPS = (
    "comp.sys.mac.hardware",
    "rec.autos",
    "rec.sport.hockey",
    "sci.med",
    "talk.politics.guns",
)
FORTUNES = Path("/usr/share/games/fortunes/de")
SAYING_KINDS = ("computer", "fussball", "letzteworte", "mathematiker", "ms", "warmduscher")


def subject_rows() -> list[tuple[str, str]]:
    """(subject line, newsgroup) of every post of five groups, train and test: 4,852 rows."""
    corpus = load_newsgroups(SUBJECT_GROUPS)
    rows = []
    for texts, labels in (
        (corpus.train_texts, corpus.train_labels),
        (corpus.test_texts, corpus.test_labels),
    ):
        for text, label in zip(texts, labels, strict=True):
            match = re.search(r"^Subject:\s*(.*)$", text, re.M)
            rows.append((match.group(1) if match else "", corpus.label_names[label]))
    return rows


def saying_rows() -> list[tuple[str, str]]:
    """(saying, kind) of six of fortunes-de's files: 1,135 German texts, many over several lines."""
    if not FORTUNES.is_dir():
        pytest.skip("needs Debian's fortunes-de (scripts/test installs it)")
    rows = []
    for kind in SAYING_KINDS:
        for cookie in (FORTUNES / kind).read_text(encoding="utf-8").split("\n%\n"):
            cookie = cookie.strip().strip("%").strip()
            if cookie:
                rows.append((cookie, kind))
    return rows


def delimited(rows, header, delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()

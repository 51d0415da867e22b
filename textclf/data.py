"""Loads 20 Newsgroups (scikit-learn's by-date split) into a small Corpus."""

from __future__ import annotations

import os
import pickle
import zlib
from dataclasses import dataclass

import numpy as np

from textclf.config import METADATA, NEWSGROUPS


class DataUnavailable(RuntimeError):
    """The data set cannot be had here; the message says what to do about it."""


@dataclass(frozen=True)
class Corpus:
    train_texts: list[str]
    train_labels: np.ndarray  # (n_train,) int64 indexes into label_names
    test_texts: list[str]
    test_labels: np.ndarray  # (n_test,)
    label_names: tuple[str, ...]


HOW_TO_GET_DATA = (
    "Connect to the internet once so scikit-learn can download and cache it (about 14 MB), "
    "or point the environment variable SCIKIT_LEARN_DATA at a folder that holds "
    "scikit-learn's cache file 20news-bydate_py3.pkz."
)


def load_newsgroups(
    categories: tuple[str, ...], remove: tuple[str, ...] = (), download: bool = True
) -> Corpus:
    """The by-date train and test posts of the chosen groups, labels in alphabetical order."""
    from sklearn.datasets import fetch_20newsgroups  # heavy import, only when data is needed

    unknown = [c for c in categories if c not in NEWSGROUPS]
    if unknown:
        raise ValueError(f"unknown newsgroup: {', '.join(unknown)}")
    bad = [r for r in remove if r not in METADATA]
    if bad:
        raise ValueError(f"cannot remove {', '.join(bad)}: choose from {', '.join(METADATA)}")
    subsets = {}
    for subset in ("train", "test"):
        try:
            subsets[subset] = fetch_20newsgroups(
                subset=subset,
                categories=list(categories),
                remove=tuple(remove),
                download_if_missing=download,
                n_retries=1,
                delay=0.1,
            )
        except (OSError, EOFError, zlib.error, pickle.UnpicklingError) as error:
            # no network (URLError is an OSError), a failed download, an unreadable cache
            where = os.environ.get("SCIKIT_LEARN_DATA", "~/scikit_learn_data")
            raise DataUnavailable(
                f"The 20 Newsgroups data could not be loaded from {where} "
                f"({type(error).__name__}: {error}). {HOW_TO_GET_DATA}"
            ) from error
    train, test = subsets["train"], subsets["test"]
    return Corpus(
        train_texts=list(train.data),
        train_labels=np.asarray(train.target, dtype=np.int64),
        test_texts=list(test.data),
        test_labels=np.asarray(test.target, dtype=np.int64),
        label_names=tuple(train.target_names),
    )

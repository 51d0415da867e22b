"""Loads 20 Newsgroups (scikit-learn's by-date split) into a small Corpus."""

from __future__ import annotations

import codecs
import os
import pickle
import tarfile
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textclf.learn.config import METADATA, NEWSGROUPS


class DataUnavailable(RuntimeError):
    """The data set cannot be had here; the message says what to do about it."""


class DataProblem(ValueError):
    """Texts or choices that cannot train (a person's file, mostly); the message is for them."""


@dataclass(frozen=True)
class Corpus:
    train_texts: list[str]
    train_labels: np.ndarray  # (n_train,) int64 indexes into label_names
    test_texts: list[str]
    test_labels: np.ndarray  # (n_test,)
    label_names: tuple[str, ...]
    name: str = "20 Newsgroups"  # where the texts came from, for titles and messages
    notes: tuple[str, ...] = ()  # what a person should know about how they were read
    # where each test text came from: a post's group/number, or the data row of a person's file
    test_ids: tuple = ()
    id_column: str = ""  # a person's file's own id column, if it has one
    test_names: tuple[str, ...] = ()  # the test rows' values in it

    def own_ids(self, positions) -> dict[str, list[str]]:
        """{id column: the test rows' own ids} for a table's columns, or {} without one."""
        return {self.id_column: [self.test_names[p] for p in positions]} if self.test_names else {}

    def test_label(self, position: int) -> str:
        """How the page names a test text: the file's own id, else its position."""
        return self.test_names[position] if self.test_names else f"#{position}"


HOW_TO_GET_DATA = (
    "Connect to the internet once so scikit-learn can download and cache it (about 14 MB), "
    "or point the environment variable SCIKIT_LEARN_DATA at a folder that holds "
    "scikit-learn's cache file 20news-bydate_py3.pkz. Offline, give the path of the official "
    "archive 20news-bydate.tar.gz instead (--archive on the command line)."
)
CACHE_FILE = "20news-bydate_py3.pkz"  # the name fetch_20newsgroups reads and writes
# The official archive: 13.7 MB packed, 18,888 members, 34 MB unpacked, none over 0.2 MB. An
# archive past these caps is refused before it is unpacked (a small file can unpack to GBs).
MAX_ARCHIVE_MB, MAX_MEMBERS, MAX_UNPACKED_MB, MAX_MEMBER_MB = 20, 25_000, 60, 1
ARCHIVE_FOLDERS = ("20news-bydate-train", "20news-bydate-test")


def data_home() -> Path:
    """Where scikit-learn keeps its data sets: SCIKIT_LEARN_DATA, else ~/scikit_learn_data."""
    from sklearn.datasets import get_data_home

    return Path(get_data_home())


def has_newsgroups(home: Path | None = None) -> bool:
    return (Path(home or data_home()) / CACHE_FILE).is_file()


def install_archive(archive: str | Path, home: str | Path | None = None) -> Path:
    """Builds scikit-learn's 20 Newsgroups cache from a local copy of the official archive, as
    fetch_20newsgroups does after a download: offline machines then load the very same posts.
    Returns the data home that holds the cache (home, else scikit-learn's)."""
    from sklearn.datasets import load_files

    home = Path(home or data_home())
    name = Path(archive).name
    try:
        if Path(archive).stat().st_size > MAX_ARCHIVE_MB * 2**20:
            raise DataUnavailable(f"{name} is larger than the official archive's 14 MB")
        with tempfile.TemporaryDirectory() as folder:
            with tarfile.open(archive, "r:gz") as tar:
                members = _checked_members(tar, name)
                names = {member.name for member in members}
                missing = [f for f in ARCHIVE_FOLDERS if f not in names]
                if missing:
                    raise DataUnavailable(
                        f"{name} is not the 20 Newsgroups by-date archive: it has no "
                        f"{' or '.join(missing)} folder"
                    )
                tar.extractall(folder, members=members, filter="data")
            cache = {
                subset: load_files(Path(folder) / f"20news-bydate-{subset}", encoding="latin1")
                for subset in ("train", "test")
            }
        home.mkdir(parents=True, exist_ok=True)
        partial = home / (CACHE_FILE + ".partial")
        partial.write_bytes(codecs.encode(pickle.dumps(cache), "zlib_codec"))
        partial.replace(home / CACHE_FILE)  # whole or not at all, for a reader in another session
    except (OSError, EOFError, tarfile.TarError, zlib.error) as error:
        raise DataUnavailable(f"{name} could not be used: {error}") from error
    return home


def _checked_members(tar: tarfile.TarFile, name: str) -> list[tarfile.TarInfo]:
    """The archive's members, read header by header and refused at the first that passes the
    official archive's caps, before anything is unpacked."""
    members, unpacked = [], 0
    for member in tar:
        members.append(member)
        unpacked += member.size
        if (
            len(members) > MAX_MEMBERS
            or member.size > MAX_MEMBER_MB * 2**20
            or unpacked > MAX_UNPACKED_MB * 2**20
        ):
            raise DataUnavailable(
                f"{name} is not the 20 Newsgroups by-date archive: it unpacks to more than the "
                f"official archive's {MAX_MEMBERS:,} files of {MAX_UNPACKED_MB} MB"
            )
    return members


def writable_data_home() -> Path:
    """scikit-learn's data home when this process may write there, else a new private folder
    (a read-only shared cache, a locked-down host)."""
    home = data_home()
    probe = home if home.exists() else home.parent
    if os.access(probe, os.W_OK):
        return home
    return Path(tempfile.mkdtemp(prefix="textclf-20news-"))


def load_newsgroups(
    categories: tuple[str, ...],
    remove: tuple[str, ...] = (),
    download: bool = True,
    home: str | Path | None = None,
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
            with warnings.catch_warnings():  # its retry notice is no news to a person: we say more
                warnings.filterwarnings("ignore", message="Retry downloading")
                subsets[subset] = fetch_20newsgroups(
                    subset=subset,
                    categories=list(categories),
                    remove=tuple(remove),
                    download_if_missing=download,
                    data_home=str(home) if home else None,
                    n_retries=1,
                    delay=0.1,
                )
        except (OSError, EOFError, zlib.error, pickle.UnpicklingError) as error:
            # no network (URLError is an OSError), a failed download, an unreadable cache
            where = home or os.environ.get("SCIKIT_LEARN_DATA", "~/scikit_learn_data")
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
        test_ids=tuple(_post_id(name) for name in test.filenames),
    )


def _post_id(path: str) -> str:
    """A post's group/number, from its cached path (…/20news-bydate-test/sci.space/61542)."""
    return "/".join(Path(path).parts[-2:])


def default_test_positions(post_ids: tuple[str, ...], home: str | Path | None = None) -> list[int]:
    """Each post's position in the test set as fetch_20newsgroups(subset="test") returns it
    with its default arguments (all 20 groups, its own shuffle): how others index it."""
    from sklearn.datasets import fetch_20newsgroups

    every = fetch_20newsgroups(subset="test", data_home=str(home) if home else None)
    where = {_post_id(name): i for i, name in enumerate(every.filenames)}
    return [where[post] for post in post_ids]

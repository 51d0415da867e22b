"""What a model file says of itself, in JSON: its labels, vocabulary and settings, written and
read back in one place, and checked on the way in as the program writes them."""

from __future__ import annotations

import collections
import json

from textclf.io.tables import MAX_LABELS
from textclf.io.text import printable
from textclf.learn.config import TrainConfig, config_fields
from textclf.learn.predict import Classifier

FORMAT = "textclf-model/1"
MAX_WORDS = config_fields()["max_features"].metadata["max"]  # all 20 newsgroups hold 130,108
# The words and labels are distinct pieces of the training texts, which hold at most the 50 MB of
# a person's file (all 20 newsgroups: 22 MB); JSON spells a character in at most 6 bytes (\uXXXX).
MAX_META_BYTES = 6 * 50 * 2**20 + 4 * (MAX_WORDS + MAX_LABELS) + 2**16


class ModelFileError(ValueError):
    """The file is not a model this program wrote, or it was cut short or altered."""


def metadata_json(classifier: Classifier) -> str:
    return json.dumps({"format": FORMAT, "labels": list(classifier.labels),
                       "vocabulary": classifier.words.tolist(),
                       "config": vars(classifier.config)})  # fmt: skip


def refuse(problem: str) -> ModelFileError:
    return ModelFileError(f"not a usable textclf model: {problem}")


def parse(read, *args):
    """read(*args) by a parser of the file (zipfile, torch, JSON); any failure of theirs, theirs to
    name (hence the broad catch), means a file that is not intact."""
    try:
        return read(*args)
    except Exception as error:  # see the docstring
        detail = printable(f"{type(error).__name__}: {error}")[:200]
        raise ModelFileError(f"not an intact textclf model file ({detail})") from error


def _strings(value, what: str, low: int, high: int) -> list[str]:
    """value as a list of unique strings, low to high of them, or a refusal saying why not."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise refuse(f"its {what} are not a list of texts")
    if not low <= len(value) <= high:
        raise refuse(f"it has {len(value):,} {what}; a model has {low} to {high:,}")
    if twice := [item for item, count in collections.Counter(value).items() if count > 1]:
        raise refuse(f"{what[:-1]} {twice[0][:60]!r} appears twice")
    return value


def read_metadata(text: str) -> tuple[tuple[str, ...], list[str], TrainConfig]:
    """Labels, vocabulary and settings from the metadata, each checked as the program writes it."""
    meta = parse(json.loads, text)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"not a {FORMAT} file")
    labels = _strings(meta.get("labels"), "labels", 2, MAX_LABELS)
    if not all(label.strip() for label in labels):
        raise refuse("a label is empty")
    vocabulary = _strings(meta.get("vocabulary"), "words", 1, MAX_WORDS)
    if not isinstance(settings := meta.get("config"), dict):
        raise refuse("its settings are not a JSON object")
    if unknown := sorted(set(settings) - set(config_fields())):
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise refuse(f"its settings include {shown}, unknown to this version of textclf")
    try:
        config = TrainConfig(**settings)
    except (TypeError, ValueError, RecursionError) as error:  # RecursionError: nested lists
        raise refuse(f"its settings cannot be: {printable(str(error))[:300]}") from None
    if config.max_features and len(vocabulary) > config.max_features:
        raise refuse(f"it has {len(vocabulary):,} words, over its max-features setting")
    return tuple(labels), vocabulary, config

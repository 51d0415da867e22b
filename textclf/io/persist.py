"""One-file models: tensors plus JSON, read back with torch.load(weights_only=True), so loading a
file can never run code from it, and only once the archive and its metadata agree with what a
model can be, so a small file can never cost a large allocation."""

from __future__ import annotations

import collections
import functools
import io
import json
import math
import pickle
import pickletools
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from textclf.io.files import FileRefused, read_capped
from textclf.io.text import printable
from textclf.learn.config import LIST_SETTINGS, TrainConfig, config_fields
from textclf.learn.features import make_vectorizer
from textclf.learn.model import MLP
from textclf.learn.predict import Classifier

FORMAT = "textclf-model/1"
MAX_LABELS = 100  # as many as a person's table may hold (tables.MAX_LABELS); newsgroups are 20
MAX_WORDS = config_fields()["max_features"].metadata["max"]  # all 20 newsgroups hold 130,108
# The words and labels are distinct pieces of the training texts, which hold at most the 50 MB of
# a person's file (all 20 newsgroups: 22 MB); JSON spells a character in at most 6 bytes (\uXXXX).
MAX_META_BYTES = 6 * 50 * 2**20 + 4 * (MAX_WORDS + MAX_LABELS) + 2**16
MAX_ENTRIES = 64  # torch's 6 records of its own, data.pkl, at most 11 tensors: room to spare
RECORDS_SLACK = 2**20  # torch's small records, the zip's headers and the state_dict's outline
STORAGE_DTYPES = {  # the storages torch.save names in a pickle, for the dtypes a network may use
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "BoolStorage": torch.bool,
}


class ModelFileError(ValueError):
    """The file is not a model this program wrote, or it was cut short or altered."""


def classifier_to_bytes(classifier: Classifier) -> bytes:
    vectorizer = classifier.vectorizer
    vocabulary = classifier.words.tolist()
    config = {
        k: list(v) if isinstance(v, tuple) else v for k, v in classifier.config.__dict__.items()
    }
    meta = {
        "format": FORMAT,
        "labels": list(classifier.labels),
        "vocabulary": vocabulary,
        "config": config,
    }
    payload = {"meta": json.dumps(meta), "state_dict": classifier.model.state_dict()}
    if hasattr(vectorizer, "idf_"):
        payload["idf"] = torch.from_numpy(np.asarray(vectorizer.idf_, dtype=np.float64))
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save_classifier(classifier: Classifier, path: str | Path) -> None:
    Path(path).write_bytes(classifier_to_bytes(classifier))


def _expected_tensors(config: TrainConfig, words: int, labels: int) -> dict[str, tuple]:
    """name -> (shape, dtype) of every tensor a model file with these sizes holds, from the
    network itself built on torch's meta device (shapes only, nothing allocated)."""
    with torch.device("meta"):
        network = MLP.from_config(config, words, labels)
    tensors = {name: (tuple(t.shape), t.dtype) for name, t in network.state_dict().items()}
    if config.features == "tfidf":
        tensors["idf"] = ((words,), torch.float64)
    return tensors


def _nbytes(shape: tuple[int, ...], dtype: torch.dtype) -> int:
    return math.prod(shape) * dtype.itemsize


@functools.cache
def largest_sizes() -> tuple[int, int]:
    """(bytes of the largest entry, bytes of the largest file) a model can need: the widest and
    deepest network the settings allow, on the largest vocabulary and label set, with its idf."""
    fields = config_fields()
    largest = TrainConfig(
        features="tfidf",
        hidden=fields["hidden"].metadata["max"],
        layers=fields["layers"].metadata["max"],
    )
    sizes = [_nbytes(*t) for t in _expected_tensors(largest, MAX_WORDS, MAX_LABELS).values()]
    return max(max(sizes), MAX_META_BYTES), sum(sizes) + MAX_META_BYTES + RECORDS_SLACK


def _refuse(problem: str) -> ModelFileError:
    return ModelFileError(f"not a usable textclf model: {problem}")


def _parse(read, *args):
    """read(*args) for one of the parsers a file passes through (zipfile, pickle, JSON, torch):
    any failure of theirs on these bytes means a file that is not intact, and says so in one
    line; what they raise is theirs to change, hence the broad catch."""
    try:
        return read(*args)
    except Exception as error:  # see the docstring
        detail = printable(f"{type(error).__name__}: {error}")[:200]
        raise ModelFileError(f"not an intact textclf model file ({detail})") from error


def _infolist(data: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.infolist()


def _entries(data: bytes) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """The archive's folder and its entries by name, once their count and sizes fit a model."""
    largest_entry, largest_file = largest_sizes()
    if len(data) > largest_file:
        raise _refuse(f"{len(data):,} bytes, more than any model needs ({largest_file:,})")
    entries = _parse(_infolist, data)
    names = [entry.filename for entry in entries]
    if len(names) > MAX_ENTRIES:
        raise _refuse(f"{len(names):,} records, more than a model has ({MAX_ENTRIES})")
    if len(set(names)) < len(names):
        raise _refuse("a record appears twice in the archive")
    pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
    if len(pickles) != 1:
        raise ModelFileError("not an intact textclf model file (no torch archive in it)")
    folder = pickles[0].removesuffix("data.pkl")
    for entry in entries:
        if not entry.filename.startswith(folder):
            raise _refuse("a record lies outside the archive's folder")
        # torch.save stores records as they are; a compressed one is how a few MB of file would
        # ask torch.load for GBs
        if entry.compress_type != zipfile.ZIP_STORED or entry.compress_size != entry.file_size:
            raise _refuse(f"record {printable(entry.filename)[:60]} is compressed")
        if entry.file_size > largest_entry:
            raise _refuse(f"a record of {entry.file_size:,} bytes, more than a model needs")
    if sum(entry.file_size for entry in entries) > len(data):
        raise _refuse("its records claim more bytes than the file holds")
    return folder, {entry.filename: entry for entry in entries}


@dataclass(frozen=True, slots=True)  # slots: a pickle cannot BUILD new fields in
class _Storage:
    key: str  # its record is data/<key>
    dtype: torch.dtype
    numel: int


@dataclass(frozen=True, slots=True)
class _Tensor:
    storage: _Storage
    offset: int
    shape: tuple
    stride: tuple


def _outline_tensor(storage, offset, shape, stride, *_rest) -> _Tensor:
    return _Tensor(storage, offset, tuple(shape), tuple(stride))


class _Outliner(pickle.Unpickler):
    """Reads data.pkl as torch.load would, but each tensor becomes an outline (its record,
    dtype, offset, shape, stride): nothing is allocated for a tensor's values, and nothing can be
    called but the three names a state_dict's pickle uses."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _outline_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f"{module}.{name} has no place in a model file")

    def persistent_load(self, pid) -> _Storage:
        kind, dtype, key, _location, numel = pid
        if kind != "storage" or not isinstance(dtype, torch.dtype) or not isinstance(key, str):
            raise pickle.UnpicklingError("a tensor's storage is not one torch.save writes")
        return _Storage(key, dtype, numel)


def _outline(data: bytes, folder: str) -> dict:
    """The payload as torch.load would return it, with tensors as outlines."""

    def read() -> dict:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            pickled = archive.read(folder + "data.pkl")
        # pickletools checks every length against the bytes present, before the unpickler could
        # allocate for a length the file does not hold
        for _ in pickletools.genops(pickled):
            pass
        return _Outliner(io.BytesIO(pickled)).load()

    payload = _parse(read)
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), str):
        raise ModelFileError("not an intact textclf model file (no metadata)")
    return payload


def _strings(value, what: str, low: int, high: int) -> list[str]:
    """value as a list of unique strings, low to high of them, or a refusal saying why not."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _refuse(f"its {what} are not a list of texts")
    if not low <= len(value) <= high:
        raise _refuse(f"it has {len(value):,} {what}; a model has {low} to {high:,}")
    if len(set(value)) < len(value):
        twice = next(item for item, count in collections.Counter(value).items() if count > 1)
        raise _refuse(f"{what[:-1]} {twice[:60]!r} appears twice")
    return value


def _metadata(text: str) -> tuple[tuple[str, ...], list[str], TrainConfig]:
    """Labels, vocabulary and settings from the metadata, each checked as the program writes it."""
    meta = _parse(json.loads, text)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"not a {FORMAT} file")
    labels = _strings(meta.get("labels"), "labels", 2, MAX_LABELS)
    if not all(label.strip() for label in labels):
        raise _refuse("a label is empty")
    vocabulary = _strings(meta.get("vocabulary"), "words", 1, MAX_WORDS)
    settings = meta.get("config")
    if not isinstance(settings, dict):
        raise _refuse("its settings are not a JSON object")
    unknown = sorted(set(settings) - set(config_fields()))
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise _refuse(f"its settings include {shown}, unknown to this version of textclf")
    for name in LIST_SETTINGS:
        if name in settings:
            value = settings[name]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _refuse(f"its setting {name} is not a list of texts")
            settings[name] = tuple(value)
    try:
        config = TrainConfig(**settings)
    except (TypeError, ValueError, RecursionError) as error:  # RecursionError: nested lists
        raise _refuse(f"its settings cannot be: {printable(str(error))[:300]}") from None
    if config.max_features and len(vocabulary) > config.max_features:
        raise _refuse(f"it has {len(vocabulary):,} words, over its max-features setting")
    return tuple(labels), vocabulary, config


def _check_outline(payload: dict, expected: dict, folder: str, entries: dict) -> None:
    """Every tensor the metadata implies, of its shape and dtype, each in a record of its own
    holding exactly its bytes; nothing more in the payload or the archive."""
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise ModelFileError("not an intact textclf model file (no state_dict)")
    if set(payload) - {"meta", "state_dict", "idf"}:
        raise _refuse("it holds more than metadata, a state_dict and an idf")
    tensors = {**state, **({"idf": payload["idf"]} if "idf" in payload else {})}
    if set(tensors) != set(expected):
        odd = sorted(map(str, set(expected) ^ set(tensors)))  # missing or extra
        shown = printable(", ".join(odd))[:120]
        raise _refuse(f"its tensors do not match its settings and vocabulary ({shown})")
    records = set()
    for name, tensor in tensors.items():
        shape, dtype = expected[name]
        if not isinstance(tensor, _Tensor) or not isinstance(tensor.storage, _Storage):
            raise _refuse(f"{name} is not a tensor")
        storage, stride = tensor.storage, tensor.stride
        if tensor.shape != shape or storage.dtype != dtype:
            raise _refuse(
                f"{name} is {printable(str(tensor.shape))[:60]} {storage.dtype}; its settings "
                f"and vocabulary make it {shape} {dtype}"
            )
        record = f"{folder}data/{storage.key}"
        fits = (
            tensor.offset == 0
            and len(stride) == len(shape)
            and all(isinstance(s, int) and s >= 0 for s in stride)
            and storage.numel == math.prod(shape)
            and sum((size - 1) * s for size, s in zip(shape, stride, strict=True))
            < max(1, storage.numel)
        )
        if not fits or record in records:
            raise _refuse(f"{name}'s values are not laid out as torch.save writes them")
        if record not in entries or entries[record].file_size != _nbytes(shape, dtype):
            raise _refuse(f"{name}'s record does not hold its {_nbytes(shape, dtype):,} bytes")
        records.add(record)
    if {name for name in entries if name.startswith(folder + "data/")} != records:
        raise _refuse("the archive holds records no tensor uses")


def _finite(tensor: torch.Tensor) -> bool:
    """No NaN or infinity, checked a few million values at a time (no mask as large as it)."""
    return all(bool(torch.isfinite(part).all()) for part in tensor.reshape(-1).split(2**22))


def classifier_from_bytes(data: bytes) -> Classifier:
    """The model in a file's bytes. Raises ModelFileError, never anything else, for a file that is
    not an intact model: its archive and metadata are checked against what the model needs
    before torch.load allocates a tensor, and its values after."""
    folder, entries = _entries(data)
    payload = _outline(data, folder)
    labels, vocabulary, config = _metadata(payload["meta"])
    expected = _expected_tensors(config, len(vocabulary), len(labels))
    _check_outline(payload, expected, folder, entries)

    loaded = _parse(lambda: torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("state_dict"), dict):
        raise _refuse("torch.load read another payload than its outline")
    tensors = dict(loaded["state_dict"])
    if "idf" in expected:
        tensors["idf"] = loaded.get("idf")
    for name, (shape, dtype) in expected.items():
        tensor = tensors.get(name)
        if (
            set(tensors) != set(expected)
            or not isinstance(tensor, torch.Tensor)
            or tensor.layout != torch.strided
            or (tuple(tensor.shape), tensor.dtype) != (shape, dtype)
        ):
            raise _refuse(f"{name} is not the tensor its outline described")
        if not _finite(tensor):
            raise _refuse(f"{name} holds values that are not finite numbers (NaN or infinity)")

    vectorizer = make_vectorizer(config.features)
    vectorizer.set_params(
        vocabulary={word: i for i, word in enumerate(vocabulary)}, max_features=None
    )
    # fitted with this vocabulary: asking for its words validates and installs it (fit would
    # learn nothing more, and warn of a word with capitals, which it never matches)
    vectorizer.get_feature_names_out()
    if config.features == "tfidf":
        vectorizer.idf_ = tensors.pop("idf").numpy()
    model = MLP.from_config(config, len(vocabulary), len(labels))
    model.load_state_dict(tensors)
    model.eval()
    return Classifier(model, vectorizer, labels, config)


def load_classifier(path: str | Path) -> Classifier:
    """The model saved at path; ModelFileError for anything else, a missing file, a device or a
    pipe included, before more bytes than a model can need are read."""
    cap = largest_sizes()[1]
    try:
        data = read_capped(path, cap)
    except FileRefused as refusal:
        if refusal.size is None:
            raise ModelFileError(
                f"{path} is not a regular file (a device, a pipe or a folder): "
                "give the path of a saved model"
            ) from None
        raise ModelFileError(
            f"{path} holds over {refusal.size / 2**20:,.0f} MB, more than any model needs "
            f"({cap / 2**20:,.0f} MB)"
        ) from None
    except (OSError, ValueError) as error:  # ValueError: a path with a NUL in it
        reason = getattr(error, "strerror", None) or error
        raise ModelFileError(f"cannot read {path}: {reason}") from error
    return classifier_from_bytes(data)

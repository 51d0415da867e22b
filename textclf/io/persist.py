"""One-file models: a torch.save archive of tensors and JSON settings, read by torch.load(
weights_only=True) once every record is stored as it is and fits the largest model, and its pickle
builds nothing but a state_dict (pickled.py); its tensors are checked after."""

from __future__ import annotations

import functools
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import torch

from textclf.io.files import FileRefused, read_capped
from textclf.io.model_metadata import (
    MAX_META_BYTES,
    MAX_WORDS,
    ModelFileError,
    metadata_json,
    parse,
    read_metadata,
    refuse,
)
from textclf.io.pickled import check_pickle
from textclf.io.tables import MAX_LABELS
from textclf.io.text import printable
from textclf.learn.config import TrainConfig, config_fields
from textclf.learn.features import vectorizer_for
from textclf.learn.model import MLP
from textclf.learn.predict import Classifier

MAX_RECORDS = 64  # torch's 6 records of its own, data.pkl, at most 11 tensors: room to spare
RECORDS_SLACK = 2**20  # torch's small records, the zip's headers and the pickled state_dict


def classifier_to_bytes(classifier: Classifier) -> bytes:
    payload = {"meta": metadata_json(classifier), "state_dict": classifier.model.state_dict()}
    if hasattr(classifier.vectorizer, "idf_"):
        payload["idf"] = torch.from_numpy(np.asarray(classifier.vectorizer.idf_, dtype=np.float64))
    torch.save(payload, buffer := io.BytesIO())
    return buffer.getvalue()


def save_classifier(classifier: Classifier, path: str | Path) -> None:
    Path(path).write_bytes(classifier_to_bytes(classifier))


def _expected_tensors(config: TrainConfig, words: int, labels: int) -> dict[str, tuple]:
    """name -> (shape, dtype) of each tensor of such a model: its network built on torch's meta
    device (shapes only, nothing allocated), and tf-idf's weights."""
    with torch.device("meta"):
        state = MLP.from_config(config, words, labels).state_dict()
    idf = {"idf": ((words,), torch.float64)} if config.features == "tfidf" else {}
    return {name: (tuple(t.shape), t.dtype) for name, t in state.items()} | idf


@functools.cache
def largest_sizes() -> tuple[int, int]:
    """(bytes of the largest record, bytes of the largest file) a model can need: the widest and
    deepest network allowed, on the largest vocabulary and label set, with its idf."""
    most = {name: config_fields()[name].metadata["max"] for name in ("hidden", "layers")}
    tensors = _expected_tensors(TrainConfig(features="tfidf", **most), MAX_WORDS, MAX_LABELS)
    sizes = [math.prod(shape) * dtype.itemsize for shape, dtype in tensors.values()]
    return max(*sizes, MAX_META_BYTES), sum(sizes) + MAX_META_BYTES + RECORDS_SLACK


def _checked_archive(data: bytes) -> tuple[bytes, int]:
    """The archive as zipfile reads it, rewritten for torch.load (which may read a name in another
    case, or another directory), once each record is stored as it is (a compressed one asks torch
    for GBs) and fits, and its pickle builds a state_dict only; and its tensor records' count."""
    largest_record, largest_file = largest_sizes()
    if len(data) > largest_file:
        raise refuse(f"{len(data):,} bytes, more than any model needs ({largest_file:,})")
    archive = parse(zipfile.ZipFile, io.BytesIO(data))
    entries = archive.infolist()
    names = [entry.filename.lower() for entry in entries]
    if len(set(names)) < len(names) or len(names) > MAX_RECORDS:
        raise refuse(f"{len(names):,} records, some of them twice or more than a model has")
    pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
    if len(pickles) != 1:
        raise ModelFileError("not an intact textclf model file (no torch archive in it)")
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.compress_size != entry.file_size:
            raise refuse(f"record {printable(entry.filename)[:60]} is compressed")
        if entry.file_size > largest_record:
            raise refuse(f"a record of {entry.file_size:,} bytes, more than a model needs")
    if sum(entry.file_size for entry in entries) > len(data):
        raise refuse("its records claim more bytes than the file holds")
    pickle_entry = entries[names.index(pickles[0])]
    check_pickle(pickled := parse(archive.read, pickle_entry))
    rewritten = io.BytesIO()  # each record read once, one at a time
    with zipfile.ZipFile(rewritten, "w") as copy:
        for entry in entries:
            record = pickled if entry is pickle_entry else parse(archive.read, entry)
            copy.writestr(entry.filename, record)
    return rewritten.getvalue(), sum(name.split("/")[1:2] == ["data"] for name in names)


def _check_tensors(tensors: dict, expected: dict, records: int) -> None:
    """Each tensor the metadata implies, of its shape and dtype, finite, alone in its record."""
    if set(tensors) != set(expected):
        odd = printable(", ".join(sorted(map(str, set(expected) ^ set(tensors)))))[:120]
        raise refuse(f"its tensors do not match its settings and vocabulary ({odd})")
    for name, (shape, dtype) in expected.items():
        # each the whole of its storage, in order, in CPU memory: pickled.py let no other through
        if not isinstance(tensor := tensors[name], torch.Tensor):
            raise refuse(f"{name} is not a tensor")
        if (found := (tuple(tensor.shape), tensor.dtype)) != (shape, dtype):
            raise refuse(f"{name} is {found[0]} {found[1]}; its settings and vocabulary make "
                         f"it {shape} {dtype}")  # fmt: skip
        # a few million values at a time: no mask as large as the tensor
        if not all(bool(part.isfinite().all()) for part in tensor.reshape(-1).split(2**22)):
            raise refuse(f"{name} holds values that are not finite numbers (NaN or infinity)")
    storages = {tensor.untyped_storage().data_ptr() for tensor in tensors.values()}
    if not len(storages) == len(tensors) == records:
        raise refuse("the archive holds records no tensor uses, or tensors that share one")


def classifier_from_bytes(data: bytes) -> Classifier:
    """The model in a file's bytes; ModelFileError, never anything else, for a file that is not an
    intact model, checked against the network its metadata describes."""
    archive, records = _checked_archive(data)
    load = functools.partial(torch.load, map_location="cpu", weights_only=True)
    payload = parse(load, io.BytesIO(archive))
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), str):
        raise ModelFileError("not an intact textclf model file (no metadata)")
    if set(payload) - {"meta", "state_dict", "idf"} or not isinstance(payload["state_dict"], dict):
        raise refuse("it holds other than metadata, a state_dict and an idf")
    labels, vocabulary, config = read_metadata(payload["meta"])
    tensors = payload["state_dict"] | ({"idf": payload["idf"]} if "idf" in payload else {})
    _check_tensors(tensors, _expected_tensors(config, len(vocabulary), len(labels)), records)
    idf = tensors.pop("idf").detach().numpy() if "idf" in tensors else None
    vectorizer = vectorizer_for(config.features, vocabulary, idf)
    model = MLP.from_config(config, len(vocabulary), len(labels))
    model.load_state_dict(tensors, strict=True)
    return Classifier(model.eval(), vectorizer, labels, config)


def load_classifier(path: str | Path) -> Classifier:
    """The model saved at path; ModelFileError for anything else, a missing file, a device or a
    pipe included, before more bytes than a model can need are read."""
    try:
        return classifier_from_bytes(read_capped(path, largest_sizes()[1], "a saved model"))
    except FileRefused as refusal:
        raise ModelFileError(str(refusal)) from None

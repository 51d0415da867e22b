"""Model files altered as a stranger could alter them, with torch and zipfile alone: metadata or
tensors rewritten, a record inflated to gigabytes."""

import io
import json
import pickletools
import struct
import zipfile

import torch


def altered(data: bytes, change) -> bytes:
    """The model file after change(payload), which edits the payload in place: its "meta" a dict
    (labels, vocabulary, config), its "state_dict" and "idf" tensors."""
    payload = torch.load(io.BytesIO(data), weights_only=True)
    payload["meta"] = json.loads(payload["meta"])
    change(payload)
    payload["meta"] = json.dumps(payload["meta"])
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def inflated(data: bytes, elements: int) -> bytes:
    """The model file with the first layer's weight stored in `elements` float32 zeros, deflated:
    the shapes and metadata are untouched, the file grows by a few MB per GiB, and torch.load
    allocates elements * 4 bytes for it before anything else."""
    source = zipfile.ZipFile(io.BytesIO(data))
    folder = source.namelist()[0].split("/")[0]
    weight = torch.load(io.BytesIO(data), weights_only=True)["state_dict"]["first.weight"]
    pickled = source.read(f"{folder}/data.pkl")
    # the weight's storage size, a 4-byte int in its persistent id: ('storage', ..., numel)
    (position,) = [
        pos
        for op, arg, pos in pickletools.genops(pickled)
        if op.name == "BININT" and arg == weight.numel()
    ]
    pickled = pickled[: position + 1] + struct.pack("<i", elements) + pickled[position + 5 :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for entry in source.infolist():
            if entry.filename == f"{folder}/data/0":
                zeros = bytes(2**22)
                with target.open(entry.filename, "w", force_zip64=True) as stream:
                    for _ in range(elements * 4 // len(zeros)):
                        stream.write(zeros)
            elif entry.filename.endswith("/data.pkl"):
                target.writestr(entry, pickled)
            else:
                target.writestr(entry, source.read(entry))
    return out.getvalue()


def records(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()


def with_record(data: bytes, name: str, content: bytes) -> bytes:
    """The model file with one record's bytes replaced, stored as torch.save stores them (with a
    correct checksum, so a reader must judge the content itself)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, content if entry.filename == name else source.read(entry))
    return out.getvalue()


def record(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)

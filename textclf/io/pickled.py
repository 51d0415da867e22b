"""What a model file's pickle may do, checked before torch.load(weights_only=True) reads it: torch's
list lets a few bytes call bytearray(2**31), or iterate a 10**9-element stride-0 tensor. Here it is
unpickled with stand-ins that check each call: it can build a state_dict's outline, no more."""

from __future__ import annotations

import collections
import io
import math
import pickle
import pickletools
from dataclasses import dataclass

from textclf.io.model_metadata import ModelFileError, parse, refuse
from textclf.io.text import printable

MAX_OPS = 10_000  # a state_dict's pickle holds a few hundred; a flood of them is a bomb
STORAGES = {"FloatStorage": 4, "DoubleStorage": 8}  # bytes per value: the network's and idf's


@dataclass(frozen=True, slots=True)  # slots and frozen: a pickle can set nothing on it
class _Storage:
    numel: int


@dataclass(frozen=True, slots=True)
class _Tensor:
    storage: _Storage


def _ordered_dict(*args):
    if args:
        raise pickle.UnpicklingError("OrderedDict takes nothing in a state_dict")
    return collections.OrderedDict()


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, *metadata):
    """Only a tensor as torch.save writes a state_dict's: the whole of its storage, in order."""
    whole = (
        isinstance(storage, _Storage)
        and offset == 0
        and isinstance(size, tuple)
        and isinstance(stride, tuple)
        and all(type(n) is int and n >= 0 for n in size + stride)
        and math.prod(size) == storage.numel
        and stride == tuple(math.prod(size[i + 1 :]) for i in range(len(size)))
    )
    if not whole or requires_grad is not False or hooks or any(metadata):
        raise pickle.UnpicklingError("a tensor is not laid out as torch.save writes a state_dict")
    return _Tensor(storage)


class _Checker(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return _ordered_dict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGES:
            return name
        raise refuse(f"its pickle names {module}.{name}"[:120])

    def persistent_load(self, pid) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError("a storage is not one torch.save writes")
        _, kind, key, location, numel = pid
        if kind not in STORAGES or not isinstance(key, str) or type(numel) is not int:
            raise pickle.UnpicklingError("a storage is not one torch.save writes")
        return _Storage(numel)


def check_pickle(pickled: bytes) -> None:
    """Refuses (ModelFileError) a pickle that does more than build a dict of metadata and tensors:
    its ops counted and their lengths checked against the bytes (pickletools), then unpickled
    with stand-ins (no tensor allocated, no call but the three a state_dict needs)."""
    ops = pickletools.genops(pickled)
    for _ in range(MAX_OPS + 1):
        if parse(next, ops, None) is None:
            break
    else:
        raise refuse(f"its pickle holds over {MAX_OPS:,} operations, more than a model needs")
    try:
        payload = _Checker(io.BytesIO(pickled)).load()
    except ModelFileError:
        raise
    except Exception as error:  # the pickle module's to name: any failure means a refusal
        raise refuse(f"its pickle is not a state_dict's: {printable(str(error))[:120]}") from None
    state = payload.get("state_dict") if isinstance(payload, dict) else None
    if not isinstance(state, dict) or not all(isinstance(key, str) for key in (*payload, *state)):
        raise refuse("its pickle is not texts naming metadata and a state_dict of tensors")

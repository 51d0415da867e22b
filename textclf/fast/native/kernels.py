"""Python's side of the C kernels: every array is checked here before its address goes to C,
since C reads and writes where it is told (ValueError on any mismatch)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch


def address(array: np.ndarray | torch.Tensor) -> int:
    return array.data_ptr() if isinstance(array, torch.Tensor) else array.ctypes.data


def csr_parts(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X's CSR arrays as the kernels read them (int64 indptr, int32 indices, float32 data),
    checked to describe X.shape; the column indices by check_columns, for the rows read."""
    if not sp.issparse(X) or X.format != "csr":
        raise ValueError("the kernels read CSR matrices")
    indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(X.indices, dtype=np.int32)
    data = np.ascontiguousarray(X.data, dtype=np.float32)
    rows, columns = X.shape
    if indptr.shape != (rows + 1,) or indptr[0] != 0 or indptr[-1] != indices.size:
        raise ValueError("the matrix's row pointers do not match its entries")
    if indices.size != data.size or np.any(np.diff(indptr) < 0):
        raise ValueError("the matrix's row pointers do not match its entries")
    return indptr, indices, data


def check_columns(indices: np.ndarray, columns: int) -> None:
    if indices.size and not 0 <= indices.min() <= indices.max() < columns:
        raise ValueError("a column index outside the matrix")


def checked_table(weight: torch.Tensor, rows: int | None = None) -> torch.Tensor:
    """A word table the kernels may read and write: 2-D, float32, contiguous, on the CPU."""
    if not (
        isinstance(weight, torch.Tensor)
        and weight.dim() == 2
        and weight.dtype == torch.float32
        and weight.device.type == "cpu"
        and weight.is_contiguous()
    ):
        raise ValueError("the word table must be a contiguous 2-D float32 CPU tensor")
    if rows is not None and weight.shape[0] != rows:
        raise ValueError(f"the word table has {weight.shape[0]} rows; the matrix {rows} columns")
    return weight

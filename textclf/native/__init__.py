"""Optional C kernels that train the word table faster (NativeRowAdam, an Optimizer) and
evaluate it in place. Nothing needs them: without a C compiler, or with TEXTCLF_NATIVE=0,
training takes the plain PyTorch path (textclf.optim.RowAdam), with the same arithmetic."""

from textclf.native.build import forget, library
from textclf.native.kernels import products

__all__ = ["forget", "library", "products"]

"""Optional C kernels that train the word table faster (NativeRowAdam, an Optimizer). Nothing
needs them: without a C compiler, or with TEXTCLF_NATIVE=0, training takes the plain PyTorch
path (textclf.fast.optim.RowAdam), with the same arithmetic."""

from textclf.fast.native.build import buildable, forget, library

__all__ = ["buildable", "forget", "library"]

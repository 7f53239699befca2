"""Ready-made models: the paper's chain of ensembles (``chain``)."""

from .chain import Chain, chain

__all__ = ["Chain", "chain"]

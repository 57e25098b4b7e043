"""What to traverse and how (:class:`TraverseConfig`), and the choice of inputs and dimensions it implies."""

from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS
from latentnav.traversal.grid import GridConfig

IMAGE_DTYPES = ("uint8", "float32")
MAX_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class TraverseConfig:
    """What to traverse and how; validated on construction.

    ``inputs`` (dataset indices) and ``limit`` (the first N) are exclusive; neither means every input.
    ``dims`` None means every latent dimension. ``chunk_size`` None means planned from memory.
    """

    grid: GridConfig = GridConfig()
    inputs: tuple[int, ...] | None = None
    limit: int | None = None
    dims: tuple[int, ...] | None = None
    dtype: str = "uint8"
    chunk_size: int | None = None
    memory_budget: int | None = None
    block_rows: int = DEFAULT_BLOCK_ROWS
    torch_threads: int | None = None
    effects: bool = True

    def __post_init__(self):
        if self.inputs is not None and self.limit is not None:
            raise ParameterError("inputs", "and {limit} exclude each other; give one")
        if self.inputs is not None and len(self.inputs) == 0:
            raise ParameterError("inputs", "is empty; give indices such as 12,19")
        if self.limit is not None and self.limit < 1:
            raise ParameterError("limit", f"must be >= 1, got {self.limit}")
        if self.dims is not None and (len(self.dims) == 0 or len(set(self.dims)) != len(self.dims)):
            raise ParameterError("dims", f"must list distinct dimensions, got {list(self.dims)}")
        if self.dtype not in IMAGE_DTYPES:
            raise ParameterError("dtype", f"is unknown; choose {' or '.join(IMAGE_DTYPES)}", value=self.dtype)
        if self.chunk_size is not None and not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise ParameterError("chunk_size", f"must be between 1 and {MAX_CHUNK_SIZE:,} or auto, got {self.chunk_size}")
        if self.block_rows < 1:
            raise ParameterError("block_rows", f"must be >= 1, got {self.block_rows}")
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ParameterError("threads", f"must be >= 1, got {self.torch_threads}")


def select_inputs(n: int, config: TraverseConfig, where: str = "the dataset") -> np.ndarray:
    """Dataset indices (n_selected,) int64 to traverse out of ``n`` inputs; out-of-range indices are an error."""
    if config.inputs is not None:
        bad = [i for i in config.inputs if not 0 <= i < n]
        if bad:
            raise ParameterError("inputs", f"out of range: {where} has {n} inputs (0..{n - 1})", value=bad[:5])
        return np.asarray(config.inputs, dtype=np.int64)
    return np.arange(n if config.limit is None else min(config.limit, n), dtype=np.int64)


def check_dims(dims: tuple[int, ...] | None, latent_dim: int) -> list[int]:
    """The traversed dimensions: ``dims`` checked against the model's ``latent_dim`` (None: all of them)."""
    if dims is None:
        return list(range(latent_dim))
    bad = [d for d in dims if not 0 <= d < latent_dim]
    if bad:
        raise ParameterError("dims", f"out of range: the model has {latent_dim} latent dimensions (0..{latent_dim - 1})",
                             value=bad)
    return list(dims)

"""What to traverse and how (:class:`TraverseConfig`), and the choice of inputs and dimensions it implies."""

from dataclasses import dataclass

import numpy as np

from latentnav.errors import ParameterError
from latentnav.store.layout import CODECS, DEFAULT_CODEC
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS
from latentnav.traversal.grid import GridConfig

IMAGE_DTYPES = ("uint8", "float32")
MAX_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class TraverseConfig:
    """What to traverse and how; validated on construction.

    ``inputs`` (dataset indices) and ``limit`` (the first N) are exclusive; neither means every input.
    ``dims`` None means every latent dimension. ``chunk_size`` None means planned from memory. ``codec`` is the
    store's chunk compressor (``zstd``, ``lz4`` or ``none``; every chunk is checksummed whatever the codec).
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
    codec: str = DEFAULT_CODEC

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
        if self.codec not in CODECS:
            raise ParameterError("codec", f"is unknown; choose {', '.join(CODECS)}", value=self.codec)
        if self.torch_threads is not None and self.torch_threads < 1:
            raise ParameterError("threads", f"must be >= 1, got {self.torch_threads}")


def select_inputs(n: int, config: TraverseConfig, where: str = "the dataset", index: np.ndarray | None = None) -> np.ndarray:
    """Rows (n_selected,) int64 to traverse out of ``n`` inputs.

    ``config.inputs`` are dataset indices: values of ``index`` (n,) (sorted; the file index of each row), or rows
    when ``index`` is None or ``arange(n)``. An index that is not there is an error.
    """
    if config.inputs is not None:
        wanted = np.asarray(config.inputs, dtype=np.int64)
        if index is None or (len(index) == n and (n == 0 or (index[0] == 0 and index[-1] == n - 1))):
            bad = [i for i in config.inputs if not 0 <= i < n]
            if bad:
                raise ParameterError("inputs", f"out of range: {where} has {n} inputs (0..{n - 1})", value=bad[:5])
            return wanted
        pos = np.minimum(np.searchsorted(index, wanted), max(n - 1, 0))
        bad = [int(i) for i, p in zip(wanted, pos) if n == 0 or index[p] != i]
        if bad:
            raise ParameterError("inputs", f"are not in {where}: its {n} inputs are the file indices "
                                           f"{_few(index)}", value=bad[:5])
        return pos.astype(np.int64)
    return np.arange(n if config.limit is None else min(config.limit, n), dtype=np.int64)


def _few(index: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in index[:6])
    return f"{shown}, ..." if len(index) > 6 else shown


def check_dims(dims: tuple[int, ...] | None, latent_dim: int) -> list[int]:
    """The traversed dimensions: ``dims`` checked against the model's ``latent_dim`` (None: all of them)."""
    if dims is None:
        return list(range(latent_dim))
    bad = [d for d in dims if not 0 <= d < latent_dim]
    if bad:
        raise ParameterError("dims", f"out of range: the model has {latent_dim} latent dimensions (0..{latent_dim - 1})",
                             value=bad)
    return list(dims)

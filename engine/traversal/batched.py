"""Batched latent traversal: every input x dimension x step of a chunk in one vectorised pass.

For a chunk of n inputs with codes ``z`` (n, L), traversed dimensions ``dims`` (D,) and values (D, S), the
latent tensor is (n, D, S, L) with ``z_grid[i, j, s] = z[i]`` except ``z_grid[i, j, s, dims[j]] = values[j, s]``
(the article's ``z_new[0, dim] = val``), built in one operation. It is decoded in fixed-size row blocks (the last
one padded), so every decoder call has the same shape: the result is bitwise independent of how inputs are
grouped into chunks, and memory stays bounded by one block of activations plus the chunk's output.
"""

from collections.abc import Callable

import torch

DEFAULT_BLOCK_ROWS = 1024


class NonFiniteDecoderOutput(ValueError):
    """The decoder produced NaN or Inf; ``rows`` are the offending rows (or inputs, from traverse_chunk)."""

    def __init__(self, rows: list[int]):
        super().__init__(f"decoder output is NaN or Inf in rows {rows[:10]}")
        self.rows = rows


def traversal_latents(z: torch.Tensor, values: torch.Tensor, dims: torch.Tensor, relative: bool = False) -> torch.Tensor:
    """The traversal latent tensor.

    Parameters
    ----------
    z : Tensor of shape (n, L)
        Codes of the inputs.
    values : Tensor of shape (D, S)
        Traversal values of each traversed dimension (row j belongs to ``dims[j]``).
    dims : LongTensor of shape (D,)
        Dimensions to traverse.
    relative : bool
        Add ``values`` to ``z[d]`` instead of setting ``z[d]`` to them.

    Returns
    -------
    Tensor of shape (n, D, S, L)
    """
    n, latent = z.shape
    if values.ndim != 2 or values.shape[0] != len(dims):
        raise ValueError(f"values must be (D, S) for the D = {len(dims)} dims, got {tuple(values.shape)}")
    steps = values.shape[1]
    grid = z[:, None, None, :].expand(n, len(dims), steps, latent).clone()
    index = dims.view(1, -1, 1, 1).expand(n, len(dims), steps, 1)
    new = values.view(1, len(dims), steps, 1).expand(n, -1, -1, -1)
    if relative:
        new = new + torch.gather(grid, 3, index)
    return grid.scatter_(3, index, new.to(grid.dtype))


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """``round(255 * x)`` of images in [0, 1] as uint8 (values outside are clipped); same shape."""
    return images.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)


@torch.no_grad()
def decode_rows(decode: Callable[[torch.Tensor], torch.Tensor], z_rows: torch.Tensor, out: torch.Tensor,
                block_rows: int = DEFAULT_BLOCK_ROWS) -> torch.Tensor:
    """Decode codes ``z_rows`` (R, L) in blocks of exactly ``block_rows`` rows into ``out`` (R, P).

    The last block is padded with zero codes so that every decoder call has the same shape. ``out``'s dtype
    decides the conversion: uint8 stores ``round(255 * x)``, float32 the decoder output itself.

    Raises
    ------
    NonFiniteDecoderOutput
        Some decoded value is NaN or Inf (uint8 conversion would hide it).
    """
    rows = z_rows.shape[0]
    for start in range(0, rows, block_rows):
        block = z_rows[start:start + block_rows]
        real = block.shape[0]
        if real < block_rows:
            block = torch.cat([block, block.new_zeros(block_rows - real, block.shape[1])])
        decoded = decode(block)[:real]
        if not bool(torch.isfinite(decoded.sum())):  # one cheap reduction; NaN and Inf propagate into it
            bad = torch.nonzero(~torch.isfinite(decoded).all(dim=1)).flatten() + start
            raise NonFiniteDecoderOutput(bad.tolist())
        out[start:start + real] = to_uint8(decoded) if out.dtype == torch.uint8 else decoded
    return out


@torch.no_grad()
def traverse_chunk(decode: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, values: torch.Tensor,
                   dims: torch.Tensor, *, relative: bool = False, dtype: torch.dtype = torch.uint8,
                   block_rows: int = DEFAULT_BLOCK_ROWS) -> torch.Tensor:
    """Decode the traversal of a chunk of inputs.

    Parameters
    ----------
    decode : callable
        Decoder, (B, L) codes to (B, P) images in [0, 1].
    z : Tensor of shape (n, L)
        Codes of the chunk's inputs, on the compute device.
    values : Tensor of shape (D, S)
        Row j holds the values of ``dims[j]``.
    dims : LongTensor of shape (D,)
    relative : bool
    dtype : torch.uint8 or torch.float32
        Output dtype; the conversion happens on the compute device.
    block_rows : int
        Rows per decoder call.

    Returns
    -------
    Tensor of shape (n, D, S, P) on the compute device

    Raises
    ------
    NonFiniteDecoderOutput
        With ``rows`` the positions (within ``z``) of the inputs whose traversal decoded to NaN or Inf.
    """
    grid = traversal_latents(z, values, dims, relative)
    n, n_dims, steps, latent = grid.shape
    out = torch.empty(n * n_dims * steps, _output_width(decode, z), dtype=dtype, device=z.device)
    try:
        decode_rows(decode, grid.reshape(-1, latent), out, block_rows)
    except NonFiniteDecoderOutput as exc:
        raise NonFiniteDecoderOutput(sorted({r // (n_dims * steps) for r in exc.rows})) from None
    return out.view(n, n_dims, steps, -1)


@torch.no_grad()
def reconstruct(decode: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, *, dtype: torch.dtype = torch.uint8,
                block_rows: int = DEFAULT_BLOCK_ROWS) -> torch.Tensor:
    """Unmodified reconstructions (n, P) of codes ``z`` (n, L), decoded and converted like the traversal."""
    out = torch.empty(z.shape[0], _output_width(decode, z), dtype=dtype, device=z.device)
    return decode_rows(decode, z, out, block_rows)


def _output_width(decode, z: torch.Tensor) -> int:
    return int(decode(z[:1]).shape[-1])


def decode_chunk(decode, z: torch.Tensor, values: torch.Tensor, dims: torch.Tensor, width: int, *,
                 relative: bool = False, dtype: torch.dtype = torch.uint8,
                 block_rows: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """The traversal (n, D, S, P) and the reconstructions (n, P) of codes ``z`` (n, L), decoded in one stream.

    The n unmodified codes follow the n·D·S traversal rows, so they share the fixed-size blocks of
    :func:`decode_rows` instead of padding a block of their own (for a chunk of 8
    conv inputs a separate reconstruction block cost as much as the whole traversal). Every decoder call still
    has the shape (block_rows, L), so the results equal ``traverse_chunk`` and ``reconstruct`` bitwise wherever
    a row's result does not depend on its position in the block, which chunk-size independence assumes anyway
    (tested for the default 1024 rows and 64; an odd block such as 7 lets MKL round float32 by position).

    Raises
    ------
    NonFiniteDecoderOutput
        With ``rows`` the positions (within ``z``) of the inputs whose traversal or reconstruction was not finite.
    """
    grid = traversal_latents(z, values, dims, relative)
    n, n_dims, steps, latent = grid.shape
    rows = n * n_dims * steps
    out = torch.empty(rows + n, width, dtype=dtype, device=z.device)
    try:
        decode_rows(decode, torch.cat([grid.reshape(-1, latent), z]), out, block_rows)
    except NonFiniteDecoderOutput as exc:
        bad = {r // (n_dims * steps) if r < rows else r - rows for r in exc.rows}
        raise NonFiniteDecoderOutput(sorted(bad)) from None
    return out[:rows].view(n, n_dims, steps, width), out[rows:]

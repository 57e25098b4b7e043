"""``latentnav.traverse``: the traversal of a model held in memory, as an :class:`xarray.Dataset` (no store, no files).

It runs the engine of the CLI (the same latent tensor, the same fixed-size decoder blocks and thread policy), so
for the same model and inputs it gives the same numbers as ``latentnav traverse --dtype float32`` writes.
"""

import numpy as np
import torch

from latentnav.devices import compute_threads, resolve_device, thread_count
from latentnav.models.loaded import LoadedModel, module_device, wrap_module
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS, reconstruct, to_uint8, traverse_chunk
from latentnav.traversal.config import IMAGE_DTYPES, check_dims
from latentnav.traversal.encoding import encode_inputs
from latentnav.traversal.grid import GridConfig, traversal_values
from latentnav.errors import ParameterError

UINT8_SCALE = 1.0 / 255.0


def traverse(model, x, *, dims=None, steps: int = 10, low: float = -3.0, high: float = 3.0, range_mode: str = "fixed",
             relative: bool = False, device: str = "auto", dtype: str = "float32", image_shape=None,
             block_rows: int = DEFAULT_BLOCK_ROWS):
    """Traverse every dimension of ``model``'s latent space for the inputs ``x``, in memory.

    For every input ``i``, traversed dimension ``d`` and step ``s`` the decoder sees the input's code with
    ``z[d] := value[d, s]`` (the article's semantics; ``relative=True`` adds instead).

    Parameters
    ----------
    model : torch.nn.Module
        With ``encode``/``decode`` methods or ``.encoder``/``.decoder`` modules (the article's
        ``AutoencoderClassifier`` works as is); ``encode`` may return ``(mu, logvar)``, a dict or an object with
        ``mu``. It runs in eval mode and is left in the mode it was in.
    x : Tensor or ndarray of shape (N, ...)
        Inputs in the model's own input shape, e.g. (N, 784) for the article's model or (N, C, H, W).
    dims : sequence of int, optional
        Latent dimensions to traverse (default all L).
    steps, low, high : int, float, float
        ``linspace(low, high, steps)`` per dimension for ``range_mode="fixed"`` (the article: 10, -3, 3).
    range_mode : {"fixed", "sigma", "minmax", "quantile"}
        Data-driven modes take each dimension's spread over the codes of ``x``.
    relative : bool
        Add the values to ``z[d]`` instead of setting it.
    device : {"auto", "cpu", "cuda"}
        ``auto`` runs where the model's parameters are; ``cpu`` or ``cuda`` moves the model there.
    dtype : {"float32", "uint8"}
        uint8 holds ``round(255 x)`` with a ``scale_factor`` attribute of 1/255, as the store does.
    image_shape : tuple (C, H, W), optional
        How to lay out a flat decoder output (default: the decoder's own output shape; a flat output of
        ``k*k`` or ``3*k*k`` values becomes (1, k, k) or (3, k, k)).
    block_rows : int
        Rows per decoder call (fixed, so results do not depend on how inputs are grouped).

    Returns
    -------
    xarray.Dataset
        ``images`` (input, dim, step, channel, y, x); ``reconstructions`` (input, channel, y, x); ``latents``
        (input, latent); coordinates ``input`` (0..N-1), ``latent``, ``dim`` (the traversed ids), ``step`` and
        ``value`` (dim, step). Attributes: the grid and the device that ran.

    Examples
    --------
    >>> import latentnav, torch
    >>> from latentnav.models import AutoencoderClassifier
    >>> ds = latentnav.traverse(AutoencoderClassifier(), torch.rand(2, 784), dims=[7])
    >>> ds.images.shape
    (2, 1, 10, 1, 28, 28)
    >>> round(float(ds.value.sel(dim=7)[0]), 1)
    -3.0
    """
    import xarray as xr

    if dtype not in IMAGE_DTYPES:
        raise ParameterError("dtype", f"is unknown; choose {' or '.join(IMAGE_DTYPES)}", value=dtype)
    grid = GridConfig(mode=range_mode, low=low, high=high, steps=steps, relative=relative)
    inputs = _as_array(x)
    was_training = getattr(model, "training", False)
    torch_device = module_device(model) if device == "auto" else resolve_device(device)
    loaded = wrap_module(model, inputs.shape[1:])
    chosen = check_dims(None if dims is None else tuple(int(d) for d in dims), loaded.latent_dim)
    layout = _image_layout(loaded, image_shape)
    with torch.no_grad(), thread_count(compute_threads(torch_device)):
        loaded.model.to(torch_device)
        z = encode_inputs(loaded, inputs.reshape(len(inputs), -1), torch_device)
        values = traversal_values(grid, z)[chosen]
        z_t = torch.from_numpy(z).to(torch_device)
        images = traverse_chunk(loaded.decode, z_t, torch.from_numpy(values).to(torch_device),
                                torch.tensor(chosen, device=torch_device), relative=relative,
                                dtype=torch.float32, block_rows=block_rows)
        recon = reconstruct(loaded.decode, z_t, dtype=torch.float32, block_rows=block_rows)
        if dtype == "uint8":
            images, recon = to_uint8(images), to_uint8(recon)
    loaded.model.train(was_training)
    n, image_dims = len(inputs), ("channel", "y", "x") if len(layout) == 3 else ("pixel",)
    decode_attrs = {"scale_factor": UINT8_SCALE} if dtype == "uint8" else {}
    return xr.Dataset(
        data_vars={
            "images": (("input", "dim", "step", *image_dims), images.cpu().numpy().reshape(n, *values.shape, *layout),
                       decode_attrs),
            "reconstructions": (("input", *image_dims), recon.cpu().numpy().reshape(n, *layout), decode_attrs),
            "latents": (("input", "latent"), z),
        },
        coords={"input": np.arange(n), "latent": np.arange(z.shape[1]), "dim": np.asarray(chosen),
                "step": np.arange(steps), "value": (("dim", "step"), values)},
        attrs={"grid": str(grid.to_dict()), "device": str(torch_device), "dtype": dtype,
               "input_shape": list(inputs.shape[1:])},
    )


def _as_array(x) -> np.ndarray:
    """Inputs as a float32 numpy array (N, ...) with N >= 1."""
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if array.ndim < 2 or len(array) == 0:
        raise ParameterError("x", f"must be a batch of inputs (N, ...) with N >= 1, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise ParameterError("x", f"must be numeric, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


def _image_layout(loaded: LoadedModel, image_shape) -> tuple[int, ...]:
    """(C, H, W) of one decoded image, or (P,) when it is flat and no square layout fits."""
    produced = loaded.decoded_shape()
    size = int(np.prod(produced))
    if image_shape is not None:
        if int(np.prod(image_shape)) != size or len(image_shape) != 3:
            raise ParameterError("image_shape", f"must be (C, H, W) with C*H*W = {size} (the decoder's output "
                                                f"{produced}), got {tuple(image_shape)}")
        return tuple(int(s) for s in image_shape)
    if len(produced) == 3:
        return produced
    if len(produced) == 2:
        return (1, *produced)
    for channels in (1, 3):
        side = int(round((size / channels) ** 0.5))
        if channels * side * side == size:
            return channels, side, side
    return (size,)

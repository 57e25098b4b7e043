"""Effects and roles on a traversal :class:`xarray.Dataset` (from ``latentnav.traverse`` or ``latentnav.open_run``)."""

import numpy as np
import torch

from latentnav.devices import resolve_device
from latentnav.effects.measure import ChunkEffects, chunk_effects
from latentnav.effects.morphometrics import MEASURES
from latentnav.effects.roles import ROLES, RoleThresholds, assign_roles, summarize_dimensions
from latentnav.errors import ParameterError
from latentnav.models.loaded import module_device, wrap_module
from latentnav.traversal.batched import DEFAULT_BLOCK_ROWS

EFFECT_DIMS = {"pixel_change": ("input", "dim", "step"), "classes": ("input", "dim", "step"),
               "class_prob": ("input", "dim", "step"), "morphometrics": ("input", "dim", "step", "measure"),
               "recon_class": ("input",), "recon_prob": ("input",), "recon_morphometrics": ("input", "measure")}


def measure_traversal(model, ds, *, device: str = "auto", input_shape=None, batch: int = 256,
                      block_rows: int = DEFAULT_BLOCK_ROWS):
    """Measure every traversal of ``ds``: the effects the role table is made of, added to a copy of ``ds``.

    Parameters
    ----------
    model : torch.nn.Module
        The model that made ``ds`` (its head classifies the re-encoded images; without one, classes are -1).
    ds : xarray.Dataset
        With ``images`` (input, dim, step, channel, y, x) and ``reconstructions`` (input, channel, y, x), uint8 or
        float in [0, 1].
    device : {"auto", "cpu", "cuda"}
        ``auto`` runs where the model's parameters are.
    input_shape : tuple, optional
        The shape one input has for the model (default: what ``ds.attrs["input_shape"]`` records, else flat).
    batch : int
        Inputs measured at a time (bounds memory).
    block_rows : int

    Returns
    -------
    xarray.Dataset
        ``ds`` plus ``pixel_change``, ``classes``, ``class_prob`` (input, dim, step), ``morphometrics``
        (input, dim, step, measure), ``recon_class``, ``recon_prob`` (input,), ``recon_morphometrics``
        (input, measure), with a ``measure`` coordinate.

    Examples
    --------
    >>> ds = latentnav.measure_traversal(model, latentnav.traverse(model, x[:2]))   # doctest: +SKIP
    >>> ds.pixel_change.sel(dim=3).max(dim="step").values                          # doctest: +SKIP
    """
    images, recon = ds["images"].values, ds["reconstructions"].values
    if images.ndim != 6 or recon.ndim != 4:
        raise ParameterError("ds", f"must hold images (input, dim, step, channel, y, x) and reconstructions "
                                   f"(input, channel, y, x), got {images.shape} and {recon.shape}")
    shape = input_shape or tuple(ds.attrs.get("input_shape") or (int(np.prod(recon.shape[1:])),))
    torch_device = module_device(model) if device == "auto" else resolve_device(device)
    loaded = wrap_module(model, tuple(shape))
    with torch.no_grad():
        loaded.model.to(torch_device)
        parts = [chunk_effects(loaded, images[i:i + batch], recon[i:i + batch], torch_device, block_rows)
                 for i in range(0, len(images), batch)]
    joined = {name: np.concatenate([getattr(p, name) for p in parts]) for name in ChunkEffects.names()}
    return ds.assign_coords(measure=list(MEASURES)).assign(
        {name: (EFFECT_DIMS[name], value) for name, value in joined.items()})


def roles(ds, *, no_effect: float = 0.02, min_confidence: float = 0.5, slant: float = 0.1, thickness: float = 0.2):
    """The role of every (input, dimension) and the per-dimension role table of a measured traversal.

    Parameters
    ----------
    ds : xarray.Dataset
        With the effects of :func:`measure_traversal` (or a store opened with ``latentnav.open_run``).
    no_effect, min_confidence, slant, thickness : float
        The role thresholds (README, "Roles").

    Returns
    -------
    xarray.Dataset
        ``role`` and ``transition`` (input, dim) as strings; per dimension ``modal_role``, ``consistency`` (share
        of inputs with the modal role), ``entropy_bits``, ``modal_transition`` and ``mean_max_change`` (dim,).

    Examples
    --------
    >>> table = latentnav.roles(latentnav.open_run("latentnav-demo/run.zarr"))   # doctest: +SKIP
    >>> table.modal_role.sel(dim=3).item()                                      # doctest: +SKIP
    'refinement'
    """
    import xarray as xr

    missing = [name for name in ("pixel_change", "classes", "class_prob", "morphometrics") if name not in ds]
    if missing:
        raise ParameterError("ds", f"lacks the effects {', '.join(missing)}; measure it with "
                                   f"latentnav.measure_traversal(model, ds) first")
    thresholds = RoleThresholds(no_effect=no_effect, min_confidence=min_confidence, slant=slant, thickness=thickness)
    effects = {name: np.asarray(ds[name].values) for name in ("pixel_change", "classes", "class_prob", "morphometrics")}
    role_index, transitions = assign_roles(effects, thresholds)
    dims = [int(d) for d in ds["dim"].values]
    table = summarize_dimensions(role_index, transitions, effects["pixel_change"], dims)
    names = np.array(ROLES)
    per_dim = {field: ("dim", [getattr(s, field) for s in table])
               for field in ("modal_role", "consistency", "entropy_bits", "modal_transition", "mean_max_change")}
    return xr.Dataset(
        {"role": (("input", "dim"), names[role_index]), "transition": (("input", "dim"), transitions.astype(str)),
         **per_dim},
        coords={"input": ds["input"].values, "dim": dims}, attrs={"thresholds": str(thresholds)},
    )

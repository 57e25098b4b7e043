"""``latentnav.open_run``: a traversal store as a lazy :class:`xarray.Dataset` with the layout's names."""

from pathlib import Path

from latentnav.store.locations import fsspec_options
from latentnav.store.traversal_store import TraversalStore


def open_run(path_or_url: str | Path, *, storage_options: dict | None = None, chunks="auto"):
    """Open a traversal store lazily (dask arrays) as an :class:`xarray.Dataset`.

    Parameters
    ----------
    path_or_url : str or Path
        A store written by ``latentnav traverse`` (a directory, or an fsspec URL such as ``s3://b/run.zarr``).
    storage_options : dict, optional
        fsspec options for a URL.
    chunks : optional
        Passed to :func:`xarray.open_zarr` (``"auto"``: the store's own chunks along ``input``).

    Returns
    -------
    xarray.Dataset
        Coordinates ``input`` (dataset index), ``latent``, ``dim`` (latent ids traversed), ``step`` and ``value``
        (dim, step); data ``images`` (input, dim, step, channel, y, x) in [0, 1], ``reconstructions``
        (input, channel, y, x), ``latents`` (input, latent), ``labels`` (input,), ``done`` (chunk,), and the
        effects arrays when they were computed. Attributes: the store's (layout, identity, chunk size ...).

    Raises
    ------
    LatentnavError
        Not a latentnav store, or one of an older layout (re-run with ``--overwrite``).

    Examples
    --------
    >>> ds = latentnav.open_run("latentnav-demo/run.zarr")          # doctest: +SKIP
    >>> ds.images.sel(input=12, dim=7).shape                       # doctest: +SKIP
    (10, 1, 28, 28)
    >>> ds.value.sel(dim=7).values                                 # doctest: +SKIP
    array([-3.  , -2.33, ..., 3.  ], dtype=float32)
    """
    import xarray as xr

    TraversalStore.open(path_or_url, "r", storage_options=storage_options)  # a clear error for anything else
    return xr.open_zarr(str(path_or_url), chunks=chunks, consolidated=True,
                        storage_options=fsspec_options(path_or_url, storage_options))

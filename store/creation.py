"""Writing a new store's arrays, and rewriting the damaged ones that only the encoded inputs can restore.

:func:`create_arrays` writes every array of the layout into an empty zarr group: the coordinates, ``latents`` and
``labels`` (from :class:`StoreContents`), empty ``images`` and ``reconstructions`` and the ``done`` flags, each
with the store's codec followed by a CRC32C checksum (:mod:`latentnav.store.codecs`).

``input``, ``latents`` and ``labels`` cannot be recomputed by decoding, and the coordinates ``latent``, ``dim``,
``step`` and ``value`` are not recomputed at all: when a chunk of them is missing or damaged, the next ``traverse``
(which encodes the inputs again on every run) rewrites it from the fresh :class:`StoreContents` with
:func:`restore_creation_arrays` and clears the done flags of the input chunks it touched, so those are decoded
again from the right latents, never from zeros (zarr's fill value for a missing chunk) or garbage.
"""

import numpy as np
import zarr

from latentnav.store.chunks import bad_chunks, chunk_rows, dense, n_chunks
from latentnav.store.codecs import compressors, flag_compressors
from latentnav.store.interface import StoreContents
from latentnav.store.layout import DIMENSIONS, INPUT_ARRAYS, UINT8_SCALE, WHOLE


def creation_data(contents: StoreContents) -> dict:
    """The arrays a store is created with: name -> ndarray (``input``, ``latents``, ``labels`` and the coordinates)."""
    steps = contents.values.shape[1]
    return {
        "input": contents.input_index.astype(np.int64), "latent": np.arange(contents.latents.shape[1]),
        "dim": np.asarray(contents.dims, dtype=np.int64), "step": np.arange(steps),
        "value": contents.values.astype(np.float32),
        "latents": contents.latents.astype(np.float32), "labels": contents.labels.astype(np.int64),
    }


def create_arrays(group: zarr.Group, contents: StoreContents) -> None:
    """Create every array of the layout in ``group`` (no chunk done), with ``contents.codec`` and checksums."""
    n, c = len(contents.labels), contents.chunk_size
    n_dims, steps = contents.values.shape
    for name, data in creation_data(contents).items():
        chunks = (c, *data.shape[1:]) if name in INPUT_ARRAYS else data.shape
        arr = group.create_array(name, shape=data.shape, chunks=chunks, dtype=data.dtype,
                                 compressors=compressors(contents.codec, data.dtype), dimension_names=DIMENSIONS[name])
        dense(arr)[...] = data  # every chunk gets a file, so a missing one is damage
    image = tuple(contents.image_shape)
    decode = {"scale_factor": UINT8_SCALE} if contents.dtype == "uint8" else {}
    for name, shape in (("reconstructions", (n, *image)), ("images", (n, n_dims, steps, *image))):
        group.create_array(name, shape=shape, chunks=(c, *shape[1:]), dtype=contents.dtype,
                           compressors=compressors(contents.codec, contents.dtype), dimension_names=DIMENSIONS[name],
                           fill_value=0, attributes={**decode, **({"coordinates": "value"} if name == "images" else {})})
    group.create_array("done", shape=(-(-n // c),), chunks=(1,), dtype=bool, compressors=flag_compressors(),
                       dimension_names=DIMENSIONS["done"], fill_value=False)


def restore_creation_arrays(group: zarr.Group, contents: StoreContents) -> tuple[list[int], list[str]]:
    """Rewrite every missing or damaged chunk of the creation arrays from ``contents``.

    Returns ``(input chunks, names)``: the input chunks whose ``input``, ``latents`` or ``labels`` were rewritten
    (their images must be decoded again: the caller clears their done flags) and the names of the arrays
    rewritten. These arrays are small (N x L values), so every chunk is read back, not only checked for presence.
    """
    data = creation_data(contents)
    touched, names = set(), []
    for name in (*INPUT_ARRAYS, *WHOLE):
        arr = group[name]
        bad = bad_chunks(arr, range(n_chunks(arr)), full=True)
        for k in bad:
            start, stop = chunk_rows(arr, k)
            dense(arr)[start:stop] = data[name][start:stop]
        if bad:
            names.append(name)
            if name in INPUT_ARRAYS:
                touched.update(bad)
    return sorted(touched), names

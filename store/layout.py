"""The traversal store's layout, version 3 (README, "Traversal store"; DESIGN.md, "Store layout").

A zarr v3 group readable by ``xarray.open_zarr``: one name per axis across all arrays, coordinate arrays named after
their axis (``input``, ``latent``, ``dim``, ``step``) plus ``value`` (dim, step), uint8 images decoded to [0, 1] by
their ``scale_factor``. Chunks run along ``input`` only, one ``done`` flag per chunk (each its own chunk file, so
setting one flag never rewrites another). Effects live beside the images with their own ``effects_done`` flags.
Version 3 added a CRC32C checksum to every chunk of every array and the ``codec`` attribute
(:mod:`latentnav.store.codecs`); stores of versions 1 and 2 are refused with a line saying to re-run with
``--overwrite``.
"""

LAYOUT_VERSION = 3
LAYOUT_KEY = "latentnav_layout"

# array name -> dimension names (coordinates first, then data)
DIMENSIONS = {
    "input": ("input",),
    "latent": ("latent",),
    "dim": ("dim",),
    "step": ("step",),
    "value": ("dim", "step"),
    "latents": ("input", "latent"),
    "labels": ("input",),
    "reconstructions": ("input", "channel", "y", "x"),
    "images": ("input", "dim", "step", "channel", "y", "x"),
    "done": ("chunk",),
}
COORDINATES = ("input", "latent", "dim", "step", "value")
CHUNKED = ("images", "reconstructions")  # written chunk by chunk by the traversal; everything else at creation
# written at creation from the encoded inputs, chunked along input like the images: the traversal cannot recompute
# them by decoding, so a damaged chunk of these is rewritten from the freshly encoded inputs on the next traverse
INPUT_ARRAYS = ("input", "latents", "labels")
WHOLE = ("latent", "dim", "step", "value")  # coordinates of one chunk each, rewritten on the next traverse too

# effects: name -> (axes after input: "DS" = (dim, step), "DSM", "" or "M"; dtype)
EFFECTS = {
    "pixel_change": ("DS", "float32"),
    "classes": ("DS", "int16"),
    "class_prob": ("DS", "float32"),
    "morphometrics": ("DSM", "float32"),
    "recon_class": ("", "int16"),
    "recon_prob": ("", "float32"),
    "recon_morphometrics": ("M", "float32"),
}
EFFECT_AXES = {"D": "dim", "S": "step", "M": "measure"}
EFFECTS_DONE = "effects_done"

IMAGE_DTYPES = ("uint8", "float32")
CODECS = ("zstd", "lz4", "none")  # chunk compressors (latentnav.store.codecs); every chunk is checksummed anyway
DEFAULT_CODEC = "zstd"
CODEC_KEY = "codec"  # the group attribute that records the codec
UINT8_SCALE = 1.0 / 255.0  # images are stored as round(255 x); scale_factor decodes them back to [0, 1]

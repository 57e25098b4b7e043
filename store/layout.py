"""The traversal store's layout, version 1 (see DESIGN.md, "Store layout").

A zarr v3 group; chunks run along ``input`` only, one ``done`` flag per chunk (each its own chunk file, so
setting one flag never rewrites another).
"""

LAYOUT_VERSION = 1
LAYOUT_KEY = "latentnav_layout"

# array name -> dimension names
DIMENSIONS = {
    "latents": ("input", "latent"),
    "labels": ("input",),
    "input_index": ("input",),
    "values": ("dim", "step"),
    "reconstructions": ("input", "y", "x"),
    "images": ("input", "dim", "step", "y", "x"),
    "done": ("chunk",),
}
IMAGE_DTYPES = ("uint8", "float32")
ZSTD_LEVEL = 1

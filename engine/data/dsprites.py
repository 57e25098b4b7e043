"""dSprites from the official ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``.

The official file (``np.savez``, uncompressed) holds ``imgs`` (737280, 64, 64) uint8 with values 0/1,
``latents_classes`` (737280, 6) int64, ``latents_values`` (737280, 6) float64 and ``metadata``, a pickled dict.
``metadata`` is never read (not even listed for loading: unpickling could run code); ``latents_values`` is not needed.

Memory: ``imgs`` is stored uncompressed, so it stays in the file (:class:`~latentnav.data.npyrows.NpyRows`) and
``read`` reads only the requested images (4 KB each); opening costs ``latents_classes`` (737280 x 6 int64 = 35 MB,
about 100 MB peak). A re-saved compressed copy (``np.savez_compressed``) cannot be read by rows: then ``imgs`` is
loaded whole on opening, 737280 x 64 x 64 bytes = 3.0 GB.
"""

import numpy as np

from latentnav.data.npzfile import check_array, file_error, npz_arrays
from latentnav.data.source import ArraySource, factor_classes

FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
FACTOR_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
HINT = (f"pass the official dSprites file {FILENAME} (keys imgs, latents_classes, latents_values), "
        "downloaded again if it is damaged")


def open_dsprites(path) -> ArraySource:
    """Open the official dSprites npz at ``path``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ArraySource
        ``name="dsprites"``, ``image_shape=(1, 64, 64)``; ``read`` gives the 0/1 pixels as 0.0/1.0 (not divided
        by 255). ``factors`` (N, 6) int64 are ``latents_classes`` (the class index of each latent), with
        ``factor_names`` color, shape, scale, orientation, posX, posY and ``factor_sizes`` the number of distinct
        classes of each column (constant factors, such as color, are kept with size 1). ``labels`` is None.

    Raises
    ------
    LatentnavError
        The file is missing, not an npz, truncated, lacks ``imgs`` or ``latents_classes``, or one has the wrong
        shape or dtype, or holds pickled objects.
    """
    path = str(path)
    arrays = npz_arrays(path, HINT, required=("imgs", "latents_classes"), lazy=("imgs",))
    imgs, classes = arrays["imgs"], arrays["latents_classes"]
    check_array(imgs, path, "imgs", HINT, shape=("N", 64, 64), dtypes=("uint8",), dtype_text="uint8")
    n = len(imgs)
    check_array(classes, path, "latents_classes", HINT, shape=(n, 6), dtypes=("i", "u"),
                dtype_text="an integer dtype (int64)")
    if n and int(np.asarray(imgs[0]).max()) > 1:  # one image: cheap; catches a 0-255 copy of the file
        raise file_error(path, f"key 'imgs' has pixel values up to {int(np.asarray(imgs[0]).max())}; expected "
                         "the binary values 0/1 of dSprites", HINT)
    if n and classes.min() < 0:
        raise file_error(path, f"key 'latents_classes' has the negative value {classes.min()}; expected class "
                         "indices >= 0", HINT)
    factors, sizes = factor_classes(np.asarray(classes))
    return ArraySource(images=imgs, layout="NHW", divide_by=1.0, name="dsprites", path=path, factors=factors,
                       factor_names=FACTOR_NAMES, factor_sizes=sizes)

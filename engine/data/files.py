"""The benchmark datasets read from files the user downloaded: which file, which reader, which labels.

``dsprites``, ``shapes3d`` and ``mpi3d`` are found through ``data_dir``: a directory holding the file under its
official name (:data:`FILE_DATASETS`), or the file itself. ``npz:PATH`` names its file directly (``data_dir`` is
not used). :func:`open_file_dataset` returns the file's :class:`~latentnav.data.source.ImageSource`; nothing here
reads images.

Labels (the class a head or ``--factors label`` uses): the file's ``labels`` when it has them, else the first
factor that is not constant over the file (dSprites: shape; 3dshapes: floor_hue; MPI3D: object_color), else 0.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentnav.errors import LatentnavError, ParameterError

NPZ_PREFIX = "npz:"


@dataclass(frozen=True)
class FileFormat:
    """A benchmark dataset's reader and the official names of its file.

    Attributes
    ----------
    reader : str
        ``module:function`` of the reader (imported when used, so that h5py loads only for 3dshapes).
    filenames : tuple of str
        The official file names, any of which may be present in ``--data-dir``.
    """

    reader: str
    filenames: tuple[str, ...]


FILE_DATASETS = {
    "dsprites": FileFormat("latentnav.data.dsprites:open_dsprites",
                           ("dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz",)),
    "shapes3d": FileFormat("latentnav.data.shapes3d:open_shapes3d", ("3dshapes.h5",)),
    "mpi3d": FileFormat("latentnav.data.mpi3d:open_mpi3d", ("mpi3d_toy.npz", "mpi3d_realistic.npz", "mpi3d_real.npz",
                                                           "real3d_complicated_shapes_ordered.npz")),
}


def is_file_dataset(name: str) -> bool:
    """True for ``dsprites``, ``shapes3d``, ``mpi3d`` and ``npz:PATH``."""
    return name in FILE_DATASETS or name.startswith(NPZ_PREFIX)


def resolve_file(name: str, data_dir) -> Path:
    """The file that dataset ``name`` reads.

    Parameters
    ----------
    name : str
        ``dsprites``, ``shapes3d``, ``mpi3d`` or ``npz:PATH``.
    data_dir : str or Path or None
        For the first three: a directory holding exactly one of the dataset's official file names, or the file.

    Raises
    ------
    ParameterError
        No ``data_dir``, a missing one, none or several official files in it, an empty ``npz:`` path.
    """
    if name.startswith(NPZ_PREFIX):
        path = name[len(NPZ_PREFIX):]
        if not path:
            raise ParameterError("dataset", "npz: needs a file path, e.g. npz:data/images.npz", value=name)
        return Path(path)
    names = FILE_DATASETS[name].filenames
    wanted = " or ".join(names)
    if data_dir is None:
        raise ParameterError("data_dir", f"is needed for {name}: the directory that holds {wanted} (downloaded "
                                         "once by you), or that file itself")
    where = Path(data_dir)
    if where.is_file():
        return where
    if not where.is_dir():
        raise ParameterError("data_dir", f"does not exist; pass the directory that holds {wanted} for {name}, "
                                         "or that file itself", value=str(where))
    present = [where / n for n in names if (where / n).is_file()]
    if not present:
        raise ParameterError("data_dir", f"holds no {wanted} for {name}; download the official file into it, "
                                         "or pass the file itself", value=str(where))
    if len(present) > 1:
        raise ParameterError("data_dir", f"holds several {name} files ({', '.join(p.name for p in present)}); "
                                         "pass the one to use as --data-dir FILE", value=str(where))
    return present[0]


def open_file_dataset(name: str, data_dir=None):
    """``(source, path)``: the :class:`~latentnav.data.source.ImageSource` of dataset ``name`` and its file."""
    import importlib

    path = resolve_file(name, data_dir)
    module, function = (FILE_DATASETS[name].reader if name in FILE_DATASETS else "latentnav.data.npz:open_npz").split(":")
    source = getattr(importlib.import_module(module), function)(path)
    if len(source) == 0:
        raise LatentnavError(f"`{path}` holds no images; pass a file with at least one")
    return source, path


def source_labels(source) -> np.ndarray:
    """Labels (N,) int64 of a source: its own, else its first non-constant factor, else zeros (module docstring)."""
    if source.labels is not None:
        return np.asarray(source.labels, np.int64)
    if source.factors is not None:
        for k, size in enumerate(source.factor_sizes):
            if size > 1:
                return np.asarray(source.factors[:, k], np.int64)
    return np.zeros(len(source), np.int64)


def label_rule(source) -> str:
    """In words, where :func:`source_labels` takes the labels from."""
    if source.labels is not None:
        return "the file's labels"
    for name, size in zip(source.factor_names or (), source.factor_sizes or ()):
        if size > 1:
            return f"factor {name}"
    return "none (all 0)"

"""latentnav: batched evaluation of autoencoder latent spaces (traversal at scale, dimension roles, DCI).

The public API. Names load on first use, so ``import latentnav`` is cheap and ``latentnav.models`` or
``latentnav.store`` import without pulling in everything else.

Examples
--------
>>> import latentnav
>>> ds = latentnav.traverse(model, x[:2], dims=[7])          # doctest: +SKIP
>>> ds.images.sel(dim=7).shape                               # doctest: +SKIP
(2, 10, 1, 28, 28)
"""

from importlib import import_module

from latentnav._version import __version__

_EXPORTS = {
    "traverse": "latentnav.traversal.memory",
    "open_run": "latentnav.store.dataset",
    "dci": "latentnav.metrics.dci_probe",
    "dci_scores": "latentnav.metrics.importance",
    "measure_traversal": "latentnav.effects.dataset",
    "roles": "latentnav.effects.dataset",
    "load_checkpoint": "latentnav.models.checkpoint",
    "load_dataset": "latentnav.data.datasets",
    "LatentnavError": "latentnav.errors",
    "ParameterError": "latentnav.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'latentnav' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

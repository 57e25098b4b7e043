"""A user's model class named on the command line: ``module:Class`` or ``path/to/file.py:Class``.

Only a class the user names is ever imported: a store's or sidecar's recorded class is compared with it, never
imported on its own (see :mod:`latentnav.jobs.effects`).
"""

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from torch import nn

from latentnav.errors import ParameterError
from latentnav.models.checkpoint_files import first_line

__all__ = ["import_model_class", "user_model"]


def user_model(spec: str, kwargs: dict) -> nn.Module:
    """An instance of the class ``spec`` built with ``kwargs``; checked to be a module with both halves."""
    cls = import_model_class(spec)
    try:
        model = cls(**kwargs)
    except Exception as exc:
        raise ParameterError("model_kwargs", f"{kwargs} do not construct {spec} ({first_line(exc)})") from None
    if not isinstance(model, nn.Module):
        raise ParameterError("model_class", f"is a {type(model).__name__}, not a torch.nn.Module", value=spec)
    for method, attr in (("encode", "encoder"), ("decode", "decoder")):
        if not hasattr(model, method) and not hasattr(model, attr):
            raise ParameterError("model_class", f"has neither a {method}() method nor a {attr} module; latentnav "
                                                f"needs both halves", value=spec)
    return model


def import_model_class(spec: str) -> type:
    """The class named by ``module:Class`` (importable, or in the working directory) or ``path/to/file.py:Class``.

    A file is imported by its path under a private module name (``latentnav_user.<stem>_<hash>``), so a user's
    ``models.py`` never clashes with a package of the same name, and vice versa.
    """
    where, _, class_name = spec.rpartition(":")
    if not where or not class_name or not class_name.isidentifier():
        raise ParameterError("model_class", "must look like module:Class or path/to/file.py:Class "
                                            "(e.g. mymodels:ConvAE)", value=spec)
    try:
        module = _import_file(Path(where)) if where.endswith(".py") else _import_module(where)
        return getattr(module, class_name)
    except Exception as exc:  # ImportError, AttributeError, and whatever the user's module raises while importing
        raise ParameterError("model_class", f"cannot be imported ({type(exc).__name__}: {first_line(exc)}); check "
                                            f"the module is on PYTHONPATH or give the file as path/to/file.py:Class",
                             value=spec) from None


def _import_module(name: str):
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # a user's module in the working directory, as `python -m` would find it
    return importlib.import_module(name)


def _import_file(path: Path):
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}")
    name = f"latentnav_user.{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it executes
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module

"""The layout: one ``latentnav`` namespace, layered imports without cycles, lower-bound dependencies, no backend switch."""

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"engine": "latentnav", "models": "latentnav.models", "store": "latentnav.store"}
# lower layers first; a module may import its own layer or lower ones, never higher
LAYERS = [
    ("latentnav._version", "latentnav.errors", "latentnav.progress", "latentnav.devices", "latentnav.files"),
    ("latentnav.models", "latentnav.store", "latentnav.data"),
    ("latentnav.traversal", "latentnav.effects", "latentnav.metrics", "latentnav.report"),
    ("latentnav.jobs",),
    ("latentnav.cli", "latentnav.__main__"),
    ("latentnav",),
]


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, name: str) -> set[str]:
    """Every latentnav module ``path`` imports, at the top or inside functions."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _layer(module: str) -> int:
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, module
    return best[0]


def test_no_bare_engine_models_or_store_import_anywhere():
    offenders = []
    for path in [*ROOT.glob("engine/**/*.py"), *ROOT.glob("models/**/*.py"), *ROOT.glob("store/**/*.py"),
                 *ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/**/*.py")]:
        if path.name == "test_architecture.py":  # imports a user's models.py on purpose
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in FOLDERS]
    assert offenders == []


def test_imports_are_layered_and_acyclic():
    modules = _modules()
    graph = {name: {m for m in _imports(path, name) if m in modules and not name.startswith(m)}  # parents load first
             for name, path in modules.items()}
    upward = [f"{a} -> {b}" for a, targets in graph.items() for b in targets if _layer(b) > _layer(a)]
    assert upward == [], "imports that go up a layer"
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(trail + [node, nxt])}")
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])
    assert "latentnav.cli.main" in graph and "latentnav.store.traversal_store" in graph  # the walk saw the tree


def test_jobs_never_touch_zarr():
    for path in (ROOT / "engine" / "jobs").glob("*.py"):
        text = path.read_text()
        assert "import zarr" not in text and ".group[" not in text and ".group." not in text, path.name


def test_every_engine_subpackage_is_packaged():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    present = {"latentnav" + ("." + p.parent.relative_to(ROOT / "engine").as_posix().replace("/", ".")
                              if p.parent != ROOT / "engine" else "") for p in (ROOT / "engine").rglob("__init__.py")}
    assert present | {"latentnav.models", "latentnav.store"} == declared


def test_dependencies_are_lower_bounds_and_the_constraints_pin_them():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    assert all("==" not in r and ">=" in r for r in requirements), requirements
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    for requirement in requirements:
        name = requirement.split(">=")[0].split("[")[0].lower()
        if name == "dask":
            assert "distributed" in pins
        assert name in pins, f"{name} is not pinned in constraints.txt"
    for script in (ROOT / ".ci" / "run", ROOT / "README.md"):
        assert "-c constraints.txt" in script.read_text(), script


def test_user_files_named_models_engine_store_do_not_matter(tmp_path):
    """A research repository with its own models.py, engine.py and store.py: latentnav imports and runs there."""
    (tmp_path / "models.py").write_text(USER_MODELS)
    (tmp_path / "engine.py").write_text("raise ImportError('the user engine.py must not be imported by latentnav')\n")
    (tmp_path / "store.py").write_text("raise ImportError('the user store.py must not be imported by latentnav')\n")
    code = ("import latentnav, latentnav.models, latentnav.store, latentnav.cli, models\n"
            "import latentnav.jobs.traverse, latentnav.jobs.report\n"
            "assert models.UserAE.__module__ == 'models'\n"
            "print(latentnav.__version__, latentnav.traverse(models.UserAE(), __import__('torch').rand(2, 784)).images.shape)")
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "(2, 4, 10, 1, 28, 28)" in proc.stdout


def test_cli_model_class_from_a_users_models_py(tmp_path, monkeypatch, cli):
    (tmp_path / "models.py").write_text(USER_MODELS)
    (tmp_path / "engine.py").write_text("raise ImportError('never')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "models", raising=False)
    sys.path_importer_cache.clear()
    torch.manual_seed(0)
    ckpt = tmp_path / "user.pth"
    code, _, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "digits", "--limit", "2",
                       "--model-class", "models:UserAE", "--out", tmp_path / "run.zarr")
    assert code == 2 and "does not exist" in err  # no checkpoint yet: the class itself was fine to name
    sys.path.insert(0, str(tmp_path))
    try:
        import models as user_models
    finally:
        sys.path.remove(str(tmp_path))
    torch.save(user_models.UserAE(latent=4).state_dict(), ckpt)
    code, out, err = cli("traverse", "--checkpoint", ckpt, "--dataset", "digits", "--limit", "2",
                         "--model-class", "models:UserAE", "--out", tmp_path / "run.zarr")
    assert code == 0, err
    import latentnav

    assert latentnav.open_run(tmp_path / "run.zarr").images.shape == (2, 4, 10, 1, 28, 28)
    monkeypatch.delitem(sys.modules, "models", raising=False)


def test_model_class_by_file_path_with_kwargs(tmp_path, cli, digits_ckpt):
    folder = tmp_path / "research"
    folder.mkdir()
    (folder / "models.py").write_text(USER_MODELS)
    torch.manual_seed(0)
    sys.path.insert(0, str(folder))
    try:
        import models as user_models
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("models", None)
    torch.save(user_models.UserAE(latent=6).state_dict(), tmp_path / "user6.pth")
    spec = f"{folder / 'models.py'}:UserAE"
    base = ["traverse", "--checkpoint", tmp_path / "user6.pth", "--dataset", "digits", "--limit", "2",
            "--model-class", spec, "--out"]
    code, _, err = cli(*base, tmp_path / "a.zarr", "--model-kwargs", '{"latent": 6}')
    assert code == 0, err
    code, _, err = cli(*base, tmp_path / "b.zarr")  # latent 4 by default: the shapes do not fit
    assert code == 2 and "does not fit UserAE" in err
    code, _, err = cli(*base, tmp_path / "c.zarr", "--model-kwargs", '{"width": 1}')
    assert code == 2 and "--model-kwargs {'width': 1} do not construct" in err
    code, _, err = cli(*base[:-3], "--model-class", f"{folder / 'nothere.py'}:UserAE", "--out", tmp_path / "d.zarr")
    assert code == 2 and "--model-class" in err and "cannot be imported" in err
    assert "models" not in sys.modules


def test_importing_latentnav_leaves_the_matplotlib_backend_alone():
    code = ("import matplotlib\nmatplotlib.use('svg')\nimport importlib, pkgutil, latentnav\n"
            "for m in pkgutil.walk_packages(latentnav.__path__, 'latentnav.'):\n"
            "    if not m.name.endswith('__main__'):\n        importlib.import_module(m.name)\n"
            "print(matplotlib.get_backend())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().lower() == "svg"


def test_version_flag(cli):
    import latentnav

    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"latentnav {latentnav.__version__}"


@pytest.mark.slow
def test_the_wheel_installs_only_the_latentnav_package(tmp_path):
    import shutil

    source = tmp_path / "src"  # build a copy: setuptools leaves build/ behind where it builds
    for name in ("engine", "models", "store"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    import zipfile

    wheel = next(tmp_path.glob("latentnav-*.whl"))
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"latentnav"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "latentnav/models/autoencoder.py" in names and "latentnav/store/traversal_store.py" in names
    assert "latentnav/cli/main.py" in names and "latentnav/jobs/traverse.py" in names


USER_MODELS = '''
import torch
from torch import nn


class UserAE(nn.Module):
    """A user's own autoencoder in their own models.py (flat 784 inputs)."""

    def __init__(self, latent=4):
        super().__init__()
        self.enc = nn.Linear(784, latent)
        self.dec = nn.Linear(latent, 784)

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return torch.sigmoid(self.dec(z))
'''


def test_cli_model_kinds_are_the_registered_architectures():
    from latentnav.cli.parser import MODEL_KINDS
    from latentnav.models.checkpoint import ARCHITECTURES

    assert MODEL_KINDS == tuple(ARCHITECTURES)

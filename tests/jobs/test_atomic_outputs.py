"""Atomic outputs: a write that fails half-way (a full disk) leaves no truncated file and no temporary file; a re-run works."""

import errno
import json
import os

import pytest
from matplotlib.figure import Figure

from latentnav.errors import LatentnavError
from latentnav.files import TEMP_MARKER, atomic_path, atomic_write_bytes, atomic_write_text, save_figure
from conftest import assert_one_error_line


def _full_disk_after(monkeypatch, n_bytes: int):
    """Make latentnav's file writes fail with ENOSPC once ``n_bytes`` were written (the disk fills up half-way)."""
    import builtins

    import latentnav.files

    real_open = builtins.open
    budget = {"left": n_bytes}

    class Full:
        def __init__(self, fh):
            self._fh = fh

        def write(self, data):
            if len(data) > budget["left"]:
                self._fh.write(data[:budget["left"]])
                budget["left"] = 0
                raise OSError(errno.ENOSPC, "No space left on device")
            budget["left"] -= len(data)
            return self._fh.write(data)

        def __getattr__(self, name):
            return getattr(self._fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._fh.close()

    def fake_open(file, mode="r", *args, **kwargs):
        fh = real_open(file, mode, *args, **kwargs)
        return Full(fh) if "w" in mode or "a" in mode else fh

    monkeypatch.setattr(latentnav.files, "open", fake_open, raising=False)


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if TEMP_MARKER in p.name)


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old\n")
    _full_disk_after(monkeypatch, 3)
    with pytest.raises(LatentnavError, match=r"cannot write .*a\.json: No space left on device"):
        atomic_write_text(target, "a much longer new content\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n" and _leftovers(tmp_path) == []
    atomic_write_bytes(target, b"new\n")
    assert target.read_bytes() == b"new\n" and _leftovers(tmp_path) == []


def test_an_exception_inside_leaves_nothing(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with atomic_path(tmp_path / "x.png") as tmp:
            tmp.write_bytes(b"half")
            1 / 0
    assert list(tmp_path.iterdir()) == []


def test_temporary_name_keeps_the_suffix_for_format_detection(tmp_path):
    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    path = save_figure(fig, tmp_path / "f.png", dpi=20)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    path = save_figure(fig, tmp_path / "f.svg")
    assert b"<svg" in path.read_bytes()[:400]
    assert _leftovers(tmp_path) == []


def test_dci_json_on_a_full_disk_then_a_rerun(cli, digits_ckpt, tmp_path, monkeypatch):
    """The issue's case: a truncated JSON under its real name, and the re-run said it already exists."""
    out = tmp_path / "dci.json"
    argv = ("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--n-test", "0", "--json", out)
    _full_disk_after(monkeypatch, 100)
    code, _, err = cli(*argv)
    monkeypatch.undo()
    assert_one_error_line(code, err, "No space left on device", str(out))
    assert not out.exists() and _leftovers(tmp_path) == []
    code, _, err = cli(*argv)
    assert code == 0, err
    assert json.loads(out.read_text())["config"]["probe"] == "xgboost"


def test_train_on_a_full_disk_leaves_neither_checkpoint_nor_sidecar(cli, tmp_path, monkeypatch):
    import torch

    out = tmp_path / "m.pth"
    real_save = torch.save

    def full_save(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        with open(f, "r+b") as fh:  # half the file made it to disk
            fh.truncate(os.path.getsize(f) // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_save)
    code, _, err = cli("train", "--epochs", "1", "--out", out)
    monkeypatch.undo()
    assert_one_error_line(code, err, "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    code, _, err = cli("train", "--epochs", "1", "--out", out)
    assert code == 0, err
    assert out.is_file() and out.with_suffix(".json").is_file() and _leftovers(tmp_path) == []


def test_every_write_site_goes_through_latentnav_files():
    """No job, report or model module writes a file directly (a new write site must use latentnav.files)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = re.compile(r"\.write_text\(|\.write_bytes\(|\.savefig\(|open\([^)]*['\"][wa]b?['\"]")
    offenders = []
    for folder in ("engine", "models"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "files.py" and path.parent.name == "engine":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#")[0]
                if direct.search(code) and "tmp" not in code:  # writing into atomic_path's temporary is fine
                    offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []

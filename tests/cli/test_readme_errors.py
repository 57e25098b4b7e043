"""Runs every row of README's "Bad input → what you get" table: exit 2, that one error line, nothing changed."""

import os
import pickle
import re
import shlex
from pathlib import Path

import pytest
import torch

from conftest import assert_one_error_line
from latentnav.models import AutoencoderClassifier

README = Path(__file__).resolve().parents[2] / "README.md"


def _rows():
    text = README.read_text()
    section = text.split("## Bad input → what you get", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(latentnav [^`]+)` \| `([^`]+)` \|$", section, flags=re.M)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.fixture(scope="module")
def places(digits_ckpt, tmp_path_factory):
    from latentnav.cli import main

    root = tmp_path_factory.mktemp("readme")
    (root / "notes.txt").write_text("keep me")
    (root / "junk.pth").write_bytes(os.urandom(2048))
    (root / "evil.pth").write_bytes(pickle.dumps(_Evil(), protocol=2))
    state = AutoencoderClassifier().state_dict()
    state["decoder.2.weight"] = torch.zeros(100, 64)
    torch.save(state, root / "wrong.pth")
    assert main(["traverse", "--checkpoint", str(digits_ckpt), "--dataset", "digits", "--limit", "3",
                 "--out", str(root / "other.zarr")]) == 0
    (root / "dir").mkdir()
    (root / "dir" / "photo.jpg").write_text("x")
    return {"CKPT": digits_ckpt, "FILE": root / "notes.txt", "DIR": root / "dir", "JUNK": root / "junk.pth",
            "EVIL": root / "evil.pth", "WRONG": root / "wrong.pth", "OTHER": root / "other.zarr",
            "MISSING": root / "missing.pth"}


def test_readme_table_is_complete():
    assert len(_rows()) >= 25


@pytest.mark.parametrize("command, message", _rows())
def test_readme_row(places, cli, command, message):
    words = shlex.split(command)[1:]
    argv = []
    for word in words:
        for name, path in places.items():
            word = re.sub(rf"\b{name}\b", str(path), word)
        argv.append(word)
    snapshot = {p: p.stat().st_mtime_ns for p in places["OTHER"].rglob("*") if p.is_file()}
    code, _, err = cli(*argv)
    assert_one_error_line(code, err, message)
    assert places["FILE"].read_text() == "keep me"
    assert sorted(os.listdir(places["DIR"])) == ["photo.jpg"]
    assert {p: p.stat().st_mtime_ns for p in places["OTHER"].rglob("*") if p.is_file()} == snapshot

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
            "MISSING": root / "missing.pth", **_bad_dataset_files(root)}


def _bad_dataset_files(root):
    """Dataset files that are present but wrong (dataset_files.py writes the official formats)."""
    import numpy as np

    from dataset_files import DSPRITES_NAME, dsprites_arrays, write_mpi3d, write_shapes3d

    imgs, classes, _ = dsprites_arrays()
    for name, arrays in (("badkeys", {"images": imgs, "latents_classes": classes}),
                         ("pickled", {"imgs": imgs, "latents_classes": np.array([{"a": 1}] * len(imgs), object)})):
        (root / name).mkdir()
        np.savez(root / name / DSPRITES_NAME, **arrays)
    (root / "two").mkdir()
    write_mpi3d(root / "two" / "mpi3d_toy.npz", n=8)
    write_mpi3d(root / "two" / "mpi3d_real.npz", n=8)
    (root / "cut").mkdir()
    whole = write_shapes3d(root / "whole.h5").read_bytes()
    (root / "cut" / "3dshapes.h5").write_bytes(whole[: len(whole) // 3])
    np.savez(root / "int32.npz", images=np.zeros((4, 64, 64), np.int32))
    np.savez(root / "five.npz", images=np.zeros((4, 64, 64, 5), np.uint8))
    return {"BADKEYS": root / "badkeys", "PICKLED": root / "pickled", "TWOMPI3D": root / "two",
            "TRUNCATED": root / "cut", "INTIMAGES": root / "int32.npz", "FIVECHANNELS": root / "five.npz"}


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

"""Damage a finished store in each way, repair it with verify and/or a re-run, and get a clean run back bitwise.

Damage to ``input``, ``latents`` or ``labels`` (written once from the encoded inputs; the traversal cannot recompute
them by decoding) must make the next ``traverse`` rewrite them from the freshly encoded inputs and decode those
chunks again: never from zeros (zarr's fill value for a missing chunk) or from garbage.
"""

import os
import shutil

import numpy as np
import pytest
import zarr

from conftest import assert_one_error_line

CHUNKS = 3  # 24 inputs in chunks of 8


def _argv(ckpt, out):
    return ["traverse", "--checkpoint", ckpt, "--dataset", "digits", "--limit", "24", "--chunk-size", "8",
            "--out", out]


@pytest.fixture(scope="module")
def clean_store(digits_ckpt, tmp_path_factory):
    from latentnav.cli import main

    path = tmp_path_factory.mktemp("clean") / "clean.zarr"
    assert main([str(a) for a in _argv(digits_ckpt, path)]) == 0
    return path


def assert_equal_to_clean(store, clean):
    """Every array of ``store`` (coordinates, data, effects, flags) equals the clean run's, bit for bit."""
    a, b = zarr.open_group(str(store), mode="r"), zarr.open_group(str(clean), mode="r")
    names = sorted(b.array_keys())
    assert sorted(a.array_keys()) == names and len(names) == 18
    for name in names:
        x, y = a[name][...], b[name][...]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), f"{name} differs from the clean run"
    assert a.attrs["complete"] and a.attrs["effects_complete"]


def _chunk(store, name, k):
    folder = store / name / "c" / str(k)
    return next(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else folder


def _flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


DAMAGE = {  # name -> (array, chunk, how)
    "delete a latents chunk": ("latents", 1, lambda p: p.unlink()),
    "delete an input-index chunk": ("input", 2, lambda p: p.unlink()),
    "delete a labels chunk": ("labels", 0, lambda p: p.unlink()),
    "garbage in a latents chunk": ("latents", 2, lambda p: p.write_bytes(os.urandom(200))),
    "flip a byte in a latents chunk": ("latents", 0, _flip),
    "flip a byte in an images chunk": ("images", 1, _flip),
    "truncate a reconstructions chunk": ("reconstructions", 2, lambda p: p.write_bytes(p.read_bytes()[:50])),
    "truncate a done chunk to 0 bytes": ("done", 1, lambda p: p.write_bytes(b"")),
    "garbage in a done chunk": ("done", 0, lambda p: p.write_bytes(b"\xff" * 5)),
    "flip a byte in an effects chunk": ("morphometrics", 2, _flip),
    "garbage in an effects flag": ("effects_done", 1, lambda p: p.write_bytes(b"xx")),
    "delete the value coordinate": ("value", 0, lambda p: p.unlink()),
    "garbage in the dim coordinate": ("dim", 0, lambda p: p.write_bytes(b"garbage!")),
}
CHEAP = {"delete a latents chunk", "delete an input-index chunk", "delete a labels chunk", "garbage in a latents chunk",
         "flip a byte in a latents chunk", "truncate a done chunk to 0 bytes", "garbage in a done chunk",
         "garbage in an effects flag", "delete the value coordinate", "garbage in the dim coordinate"}
EFFECT_ONLY = {"flip a byte in an effects chunk", "garbage in an effects flag"}
COORDINATE = {"delete the value coordinate", "garbage in the dim coordinate"}


def _expected_images(case):
    array, k, _ = DAMAGE[case]
    return [] if case in EFFECT_ONLY | COORDINATE else [k]


@pytest.mark.parametrize("case", list(DAMAGE))
def test_verify_clears_exactly_the_damaged_chunks_and_traverse_repairs_bitwise(digits_ckpt, clean_store, tmp_path,
                                                                               cli, case):
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    array, k, damage = DAMAGE[case]
    damage(_chunk(store, array, k))
    code, out, err = cli("verify", "--store", store)
    assert code == 0, err
    assert f"{array} [{k}]" in out, out
    images = _expected_images(case)
    effects = [k] if case in EFFECT_ONLY else []
    assert f"images {images}, effects {effects}" in out, out
    group = zarr.open_group(str(store), mode="r")
    assert np.nonzero(~group["done"][...])[0].tolist() == images  # the other chunks stay done
    assert np.nonzero(~group["effects_done"][...])[0].tolist() == sorted(set(images) | set(effects))
    code, out, err = cli(*_argv(digits_ckpt, store))
    assert code == 0, err
    assert f"resumed: {len(images)} chunks left" in out, out
    assert_equal_to_clean(store, clean_store)
    code, out, _ = cli("verify", "--store", store)
    assert "all finished chunks read back intact" in out


@pytest.mark.parametrize("case", sorted(CHEAP))
def test_a_plain_re_run_repairs_missing_files_and_damaged_inputs(digits_ckpt, clean_store, tmp_path, cli, case):
    """No verify: the resume itself finds missing chunks, damaged flags and damaged latents/input/labels."""
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    array, k, damage = DAMAGE[case]
    damage(_chunk(store, array, k))
    code, out, err = cli(*_argv(digits_ckpt, store))
    assert code == 0, err
    assert f"resumed: {len(_expected_images(case))} chunks left" in out, out
    assert_equal_to_clean(store, clean_store)


def test_damage_in_several_arrays_at_once(digits_ckpt, clean_store, tmp_path, cli):
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    _chunk(store, "latents", 0).unlink()
    _flip(_chunk(store, "images", 2))
    _chunk(store, "labels", 2).write_bytes(b"")
    code, out, err = cli("verify", "--store", store)
    assert code == 0 and "images [0, 2], effects []" in out, out + err
    code, out, err = cli(*_argv(digits_ckpt, store))
    assert code == 0 and "resumed: 2 chunks left" in out, out + err
    assert_equal_to_clean(store, clean_store)


@pytest.mark.parametrize("name", ["images", "latents", "done", "morphometrics"])
def test_garbage_metadata_is_one_line_saying_how_to_repair(digits_ckpt, clean_store, tmp_path, cli, name):
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    (store / name / "zarr.json").write_text("\x00garbage")
    code, _, err = cli("verify", "--store", store)
    assert_one_error_line(code, err, f"{name}/zarr.json", "--overwrite")
    code, _, err = cli(*_argv(digits_ckpt, store))
    assert_one_error_line(code, err, f"{name}/zarr.json", "--overwrite")

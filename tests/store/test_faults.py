"""Faults: SIGKILL at several points, deleted and truncated chunk files, NaN models; nothing finished is redone."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import zarr

from conftest import assert_one_error_line
from latentnav.store.failpoints import ENV

ARRAYS = ("input", "latent", "dim", "step", "value", "latents", "labels", "reconstructions", "images", "done")
EFFECTS = ("pixel_change", "classes", "class_prob", "morphometrics", "recon_class", "recon_prob",
           "recon_morphometrics", "effects_done")


def _argv(ckpt):
    return ["traverse", "--checkpoint", str(ckpt), "--dataset", "digits", "--limit", "40", "--chunk-size", "8"]


@pytest.fixture(scope="module")
def clean_store(digits_ckpt, tmp_path_factory):
    from latentnav.cli import main

    path = tmp_path_factory.mktemp("clean") / "clean.zarr"
    assert main(_argv(digits_ckpt) + ["--out", str(path)]) == 0
    return path


def assert_same_store(a, b):
    ga, gb = zarr.open_group(str(a), mode="r"), zarr.open_group(str(b), mode="r")
    for name in ARRAYS:
        assert np.array_equal(ga[name][...], gb[name][...]), name
    for name in EFFECTS:
        assert np.array_equal(ga[name][...], gb[name][...]), name
    assert ga.attrs["complete"] and gb.attrs["complete"]


def _chunk_files(store):
    """mtime of every chunk file of a finished chunk: images and reconstructions of chunks marked done,
    effects of chunks whose effects are marked done."""
    g = zarr.open_group(str(store), mode="r")
    flags = {"images": g["done"][:], "reconstructions": g["done"][:]}
    if "effects_done" in g:
        flags["pixel_change"] = g["effects_done"][:]
    stamps = {}
    for folder, done in flags.items():
        for k in np.nonzero(done)[0]:
            for path in (store / folder / "c" / str(k)).rglob("*"):
                stamps[path] = path.stat().st_mtime_ns
    return stamps


@pytest.mark.parametrize("point", ["compute:3", "images_written:2", "chunk_done:1", "effects_written:2"])
def test_sigkill_at_a_failpoint_then_resume(digits_ckpt, clean_store, tmp_path, cli, point):
    store = tmp_path / "run.zarr"
    env = {**os.environ, ENV: point, "TQDM_DISABLE": "1"}
    proc = subprocess.run([sys.executable, "-m", "latentnav", *_argv(digits_ckpt), "--out", str(store)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr  # killed where we asked
    g = zarr.open_group(str(store), mode="r")
    done = g["done"][:]
    pending = int((~done).sum())
    finished = _chunk_files(store)
    assert 0 < pending < len(done) or point.startswith("effects")
    code, out, err = cli(*_argv(digits_ckpt), "--out", store)
    assert code == 0, err
    assert f"resumed: {pending} chunks left" in out
    assert_same_store(store, clean_store)
    for path, stamp in finished.items():
        assert path.stat().st_mtime_ns == stamp, f"{path} was rewritten"


def test_deleted_chunk_is_detected_on_resume_and_only_it_recomputed(digits_ckpt, clean_store, tmp_path, cli):
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    victim = next(p for p in (store / "images" / "c" / "2").rglob("*") if p.is_file())
    victim.unlink()
    before = {p: t for p, t in _chunk_files(store).items() if "/c/2/" not in str(p)}
    code, out, err = cli(*_argv(digits_ckpt), "--out", store)
    assert code == 0 and "resumed: 1 chunks left" in out, out + err
    assert_same_store(store, clean_store)
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())


def test_truncated_chunk_found_by_verify(digits_ckpt, clean_store, tmp_path, cli):
    store = tmp_path / "run.zarr"
    shutil.copytree(clean_store, store)
    victim = next(p for p in (store / "reconstructions" / "c" / "3").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    effect = next(p for p in (store / "morphometrics" / "c" / "1").rglob("*") if p.is_file())
    effect.write_bytes(effect.read_bytes()[:10])
    code, out, err = cli("verify", "--store", store)
    assert code == 0 and "images [3], effects [1]" in out, out + err
    code, out, err = cli(*_argv(digits_ckpt), "--out", store)
    assert code == 0 and "resumed: 1 chunks left" in out, out + err
    assert_same_store(store, clean_store)
    code, out, _ = cli("verify", "--store", store)
    assert "all finished chunks read back intact" in out


NAN_MODEL = '''
import torch
from latentnav.models import AutoencoderClassifier


class NaNDecoderAE(AutoencoderClassifier):
    def decode(self, z):
        out = super().decode(z)
        at_three = (z[:, :1] - 3.0).abs() < 1e-6  # the last traversal value; no input encodes to it
        return torch.where(at_three, torch.full_like(out, float("nan")), out)


class NaNEncoderAE(AutoencoderClassifier):
    def encode(self, x):
        z = super().encode(x)
        return torch.where(x[:, PIXEL:PIXEL + 1] > 0.9, torch.full_like(z, float("inf")), z)
'''


def test_nan_outputs_are_clear_errors_naming_inputs(digits_ckpt, tmp_path, cli, monkeypatch):
    from latentnav import load_dataset

    bright = load_dataset("digits", "test").inputs[:30] > 0.9  # (30, 784)
    counts = bright.sum(axis=0)
    pixel = int(np.argmax(np.where(counts < 30, counts, 0)))  # bright in some inputs, not all
    expected = np.nonzero(bright[:, pixel])[0]
    (tmp_path / "nanmodels.py").write_text(NAN_MODEL.replace("PIXEL", str(pixel)))
    monkeypatch.syspath_prepend(str(tmp_path))
    base = ["traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "30"]
    code, _, err = cli(*base, "--model-class", "nanmodels:NaNDecoderAE", "--out", tmp_path / "a.zarr")
    assert_one_error_line(code, err, "the decoder returned NaN or Inf for dataset inputs [0, 1, 2")
    assert 0 < len(expected) < 30
    code, _, err = cli(*base, "--model-class", "nanmodels:NaNEncoderAE", "--out", tmp_path / "b.zarr")
    assert_one_error_line(code, err, f"dataset indices {expected[:10].tolist()}")

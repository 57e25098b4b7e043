"""``latentnav traverse`` and ``figures`` from the command line: output, bad input, SIGKILL and resume."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr
from PIL import Image

from conftest import assert_one_error_line


def test_traverse_prints_summary_and_figures_are_drawn(digits_ckpt, tmp_path, cli):
    store = tmp_path / "run.zarr"
    code, out, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--inputs", "12,19",
                         "--out", store)
    assert code == 0, err
    assert "traversed 2 inputs, 320 images (320 computed)" in out and "images/s on cpu" in out
    assert "MiB on disk, compression" in out
    code, out, err = cli("figures", "--store", store, "--inputs", "12,19", "--out", tmp_path / "figs")
    assert code == 0, err
    names = sorted(Path(p).name for p in out.split())
    assert names == sorted(["strip_input12_dim8.png", "grid_input12.png", "traversal_input12.gif",
                            "strip_input19_dim8.png", "grid_input19.png", "traversal_input19.gif"])
    gif = Image.open(tmp_path / "figs" / "traversal_input12.gif")
    assert gif.n_frames == 18  # 10 steps up, 8 back
    grid = Image.open(tmp_path / "figs" / "grid_input12.png")
    assert grid.size[1] > grid.size[0]  # 16 rows x 10 columns


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--steps", "1"], "--steps must be >= 2"),
        (["--low", "3", "--high", "3"], "--low must be below --high"),
        (["--dims", "3,99"], "--dims [99] out of range"),
        (["--dims", "3,3"], "distinct"),
        (["--inputs", "12,5000"], "--inputs [5000] out of range"),
        (["--inputs", "a,b"], "comma-separated integers"),
        (["--inputs", "1", "--limit", "3"], "not allowed with argument"),
        (["--limit", "0"], "--limit must be >= 1"),
        (["--chunk-size", "0"], "--chunk-size must be between 1 and"),
        (["--chunk-size", "lots"], "--chunk-size must be auto or a whole number"),
        (["--memory-budget", "huge"], "a size such as 512M"),
        (["--dtype", "int8"], "--dtype 'int8' is unknown"),
        (["--range-mode", "spiral"], "--range-mode 'spiral' is unknown"),
        (["--split", "valid"], "--split 'valid' is unknown"),
        (["--relative", "--range-mode", "minmax"], "--relative"),
        (["--threads", "0"], "--threads must be >= 1"),
    ],
)
def test_traverse_bad_arguments(digits_ckpt, tmp_path, cli, extra, fragment):
    code, _, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--out", tmp_path / "r.zarr",
                       *extra)
    assert_one_error_line(code, err, fragment)
    assert not (tmp_path / "r.zarr").exists()


def test_traverse_refuses_other_store_and_files(digits_ckpt, tmp_path, cli):
    store = tmp_path / "run.zarr"
    assert cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "3", "--out", store)[0] == 0
    listing = sorted((p, p.stat().st_mtime_ns) for p in store.rglob("*"))
    code, _, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--limit", "3", "--steps", "4",
                       "--out", store)
    assert_one_error_line(code, err, "another configuration", "--overwrite")
    assert sorted((p, p.stat().st_mtime_ns) for p in store.rglob("*")) == listing
    (tmp_path / "file.txt").write_text("keep")
    code, _, err = cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--out", tmp_path / "file.txt")
    assert_one_error_line(code, err, "is a file")
    assert (tmp_path / "file.txt").read_text() == "keep"
    code, _, err = cli("traverse", "--checkpoint", tmp_path / "none.pth", "--dataset", "digits", "--out", tmp_path / "x")
    assert_one_error_line(code, err, "does not exist")


def test_figures_bad_input(digits_ckpt, tmp_path, cli):
    store = tmp_path / "run.zarr"
    cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--inputs", "12", "--dims", "1,2", "--out", store)
    code, _, err = cli("figures", "--store", store, "--inputs", "19", "--out", tmp_path / "f")
    assert_one_error_line(code, err, "no traversal of inputs [19]")
    code, _, err = cli("figures", "--store", store, "--dim", "7", "--out", tmp_path / "f")
    assert_one_error_line(code, err, "--dim 7 was not traversed")
    code, _, err = cli("figures", "--store", tmp_path / "missing.zarr", "--out", tmp_path / "f")
    assert_one_error_line(code, err, "does not exist")


def _done_count(store: Path) -> int:
    folder = store / "done" / "c"
    return len([p for p in folder.iterdir() if not p.name.endswith(".partial")]) if folder.is_dir() else 0


def test_sigkill_then_resume_is_bitwise_identical(digits_ckpt, tmp_path, cli):
    argv = ["traverse", "--checkpoint", str(digits_ckpt), "--dataset", "digits", "--split", "train", "--limit", "400",
            "--chunk-size", "2"]
    killed = tmp_path / "killed.zarr"
    env = {**os.environ, "TQDM_DISABLE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "latentnav", *argv, "--out", str(killed)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while _done_count(killed) < 20 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_at_kill = zarr.open_group(str(killed), mode="r")["done"][:]
    total = len(done_at_kill)
    assert 0 < done_at_kill.sum() < total, "the run finished (or never started) before the kill"
    code, out, err = cli(*argv, "--out", killed)
    assert code == 0, err
    assert f"resumed: {total - int(done_at_kill.sum())} chunks left" in out  # no finished chunk recomputed
    clean = tmp_path / "clean.zarr"
    assert cli(*argv, "--out", clean)[0] == 0
    a, b = zarr.open_group(str(killed), mode="r"), zarr.open_group(str(clean), mode="r")
    for name in ("input", "latent", "dim", "step", "value", "latents", "labels", "reconstructions", "images", "done"):
        assert np.array_equal(a[name][...], b[name][...]), name
    assert a.attrs["complete"] is True

"""Dask scale-out on a local cluster of 2 worker processes (loopback only), and stores behind fsspec URLs."""

import json
import os
import shutil

import numpy as np
import zarr

from conftest import assert_one_error_line
from latentnav.jobs.dask import shard
from latentnav.store.failpoints import ENV

ARRAYS = ("input", "latent", "dim", "step", "value", "latents", "labels", "reconstructions", "images", "done")


def _same(a, b):
    ga, gb = zarr.open_group(str(a), mode="r"), zarr.open_group(str(b), mode="r")
    for name in ARRAYS:
        assert np.array_equal(ga[name][...], gb[name][...]), name
    for name in ("pixel_change", "classes", "class_prob", "morphometrics"):
        assert np.array_equal(ga[name][...], gb[name][...]), name
    assert ga.attrs["complete"] and gb.attrs["complete"]


def test_shards_are_disjoint_contiguous_and_complete():
    chunks = list(range(3, 20))
    parts = shard(chunks, 5)
    assert [k for part in parts for k in part] == chunks and len(parts) == 5
    assert all(part == list(range(part[0], part[-1] + 1)) for part in parts)
    assert shard([1, 2], 8) == [[1], [2]] and shard([], 3) == []


def _argv(ckpt):
    return ["traverse", "--checkpoint", str(ckpt), "--dataset", "digits", "--limit", "48", "--chunk-size", "4"]


def test_sharded_traversal_equals_single_process_even_when_a_worker_dies(digits_ckpt, tmp_path, cli, monkeypatch):
    single, sharded = tmp_path / "single.zarr", tmp_path / "sharded.zarr"
    assert cli(*_argv(digits_ckpt), "--out", single)[0] == 0
    marker = tmp_path / "killed-once"
    monkeypatch.setenv(ENV, f"images_written:5:{marker}")  # the worker writing chunk 5 dies, once
    code, out, err = cli(*_argv(digits_ckpt), "--scheduler", "local", "--workers", "2", "--out", sharded)
    assert code == 0, err
    assert marker.exists(), "no worker was killed: the test did not test anything"
    assert "dask workers" in out
    _same(single, sharded)


def _checkpoints(tmp_path, cli):
    folder = tmp_path / "ckpts"
    for seed in (1, 2):
        assert cli("train", "--epochs", "2", "--seed", seed, "--out", folder / f"ae-seed{seed}.pth")[0] == 0
    (folder / "broken.pth").write_bytes(os.urandom(100))
    return folder


def test_sweep_on_local_cluster_reports_failures_and_skips_finished(tmp_path, cli):
    folder = _checkpoints(tmp_path, cli)
    out = tmp_path / "sweep"
    argv = ["sweep", "--checkpoints", f"{folder}/*.pth", "--dataset", "digits", "--limit", "12",
            "--factors", "label,onehot", "--metrics", "mig,sap", "--workers", "2", "--out", out]
    code, text, err = cli(*argv)
    assert code == 0, err
    assert "2 runs finished (0 already done), 1 failed" in text
    assert "broken failed: " in err and "not a PyTorch checkpoint" in err
    rows = json.loads((out / "sweep.json").read_text())
    assert sorted(r["name"] for r in rows) == ["ae-seed1", "ae-seed2"]
    for row in rows:
        assert row["dci_factors"] == "onehot" and 0 <= row["disentanglement"] <= 1
        assert row["article_disentanglement"] is not None and row["recon_bce"] > 0 and row["images_per_s"] > 0
        assert (out / row["name"] / "report" / "report.md").is_file()
        assert 0 <= row["metric:mig"] <= 1 and 0 <= row["metric:sap"] <= 1
        assert json.loads((out / row["name"] / "metrics.json").read_text())["metrics"]["mig"] == row["metric:mig"]
    assert "ae-seed1" in (out / "sweep.csv").read_text() and "## Failed runs" in (out / "sweep.md").read_text()
    stamp = (out / "ae-seed1" / "report" / "report.json").stat().st_mtime_ns
    code, text, _ = cli(*argv)
    assert "2 runs finished (2 already done), 1 failed" in text
    assert (out / "ae-seed1" / "report" / "report.json").stat().st_mtime_ns == stamp
    code, text, err = cli("compare", out, "--out", tmp_path / "cmp")
    assert code == 0, err
    assert len(json.loads((tmp_path / "cmp" / "compare.json").read_text())) == 2
    assert "| mig |" in (tmp_path / "cmp" / "compare.md").read_text()


def test_sweep_bad_input(tmp_path, cli):
    code, _, err = cli("sweep", "--checkpoints", f"{tmp_path}/*.pth", "--dataset", "digits", "--out", tmp_path / "s")
    assert_one_error_line(code, err, "matches no .pth file")
    (tmp_path / "a.pth").write_bytes(b"x")
    code, _, err = cli("sweep", "--checkpoints", f"{tmp_path}/*.pth", "--dataset", "digits", "--factors", "colour",
                       "--out", tmp_path / "s")
    assert_one_error_line(code, err, "--factors colour unknown")
    code, _, err = cli("sweep", "--checkpoints", f"{tmp_path}/*.pth", "--dataset", "digits", "--metrics", "mig,hsic",
                       "--out", tmp_path / "s")
    assert_one_error_line(code, err, "--metrics hsic unknown")
    code, _, err = cli("sweep", "--checkpoints", f"{tmp_path}/*.pth", "--dataset", "digits", "--scheduler", "udp://x",
                       "--out", tmp_path / "s")
    assert_one_error_line(code, err, "--scheduler 'udp://x' must be 'local' or an address")


def test_store_behind_memory_url(digits_ckpt, tmp_path, cli):
    url = "memory://latentnav-test/run.zarr"
    code, out, err = cli(*_argv(digits_ckpt)[:-2], "--chunk-size", "8", "--limit", "16", "--out", url)
    assert code == 0, err
    code, out, err = cli(*_argv(digits_ckpt)[:-2], "--chunk-size", "8", "--limit", "16", "--out", url)
    assert code == 0 and "(0 computed, resumed: 0 chunks left)" in out, err
    local = tmp_path / "local.zarr"
    cli(*_argv(digits_ckpt)[:-2], "--chunk-size", "8", "--limit", "16", "--out", local)
    remote = zarr.open_group(url, mode="r")
    assert np.array_equal(remote["images"][...], zarr.open_group(str(local), mode="r")["images"][...])
    code, out, err = cli("report", "--store", url, "--inputs", "12", "--out", tmp_path / "rep")
    assert code == 0, err


def test_store_behind_file_url_on_the_cluster(digits_ckpt, tmp_path, cli):
    url = f"file://{tmp_path}/remote.zarr"
    code, out, err = cli(*_argv(digits_ckpt), "--scheduler", "local", "--workers", "2", "--out", url)
    assert code == 0, err
    local = tmp_path / "local.zarr"
    cli(*_argv(digits_ckpt), "--out", local)
    _same(tmp_path / "remote.zarr", local)
    shutil.rmtree(local)


def test_sweep_sample_traverses_the_same_subset_as_traverse(digits_ckpt, tmp_path, cli):
    import pytest

    from latentnav.errors import ParameterError
    from latentnav.jobs.sweep import SweepOptions, run_sweep
    from latentnav.store import open_store

    folder = tmp_path / "ckpts"
    folder.mkdir()
    shutil.copy(digits_ckpt, folder / "ae.pth")
    options = SweepOptions(dataset="digits", sample=5, seed=3, probe="xgboost")
    result = run_sweep(f"{folder}/*.pth", tmp_path / "sweep", options, sequential=True)
    assert [r["name"] for r in result.rows] == ["ae"] and not result.failures
    assert cli("traverse", "--checkpoint", digits_ckpt, "--dataset", "digits", "--sample", 5, "--seed", 3,
               "--out", tmp_path / "alone.zarr")[0] == 0
    swept = open_store(tmp_path / "sweep" / "ae" / "run.zarr").read("input")
    assert len(swept) == 5 and not np.array_equal(swept, np.arange(5))
    np.testing.assert_array_equal(swept, open_store(tmp_path / "alone.zarr").read("input"))
    with pytest.raises(ParameterError, match="exclude each other"):
        SweepOptions(dataset="digits", limit=4, sample=5)
    code, _, err = cli("sweep", "--checkpoints", f"{folder}/*.pth", "--dataset", "digits", "--sample", 0,
                       "--out", tmp_path / "s")
    assert_one_error_line(code, err, "--sample must be a whole number >= 1")

"""--codec zstd|lz4|none: recorded in the store, data identical whatever the codec, a resume with another refused."""

import json
import warnings

import numpy as np
import pytest
import xarray as xr
import zarr

from conftest import assert_one_error_line
from latentnav import LatentnavError
from latentnav.errors import ParameterError
from latentnav.store.codecs import CODECS, compressors
from latentnav.store.traversal_store import TraversalStore
from latentnav.traversal.config import TraverseConfig
from synthetic_store import contents, filled_store, images_of

COMPRESSOR = {"zstd": ["zstd"], "lz4": ["blosc"], "none": []}


@pytest.mark.parametrize("codec", CODECS)
def test_codec_is_recorded_used_and_lossless(tmp_path, codec):
    path = tmp_path / "s.zarr"
    store = filled_store(path, codec)
    assert store.codec == codec and store.attrs["codec"] == codec
    for name in ("images", "latents", "pixel_change"):
        chain = [c["name"] for c in json.loads((path / name / "zarr.json").read_text())["codecs"]][1:]  # after bytes
        assert chain == COMPRESSOR[codec] + ["crc32c"], (name, chain)
    for k in range(store.n_chunks):
        start, stop = store.chunk_bounds(k)
        images, recon = images_of(k)
        assert np.array_equal(store.read("images", start, stop), images)
        assert np.array_equal(store.read("reconstructions", start, stop), recon)
    assert np.array_equal(store.read("latents"), contents(codec).latents)


def test_lz4_shuffles_wide_items_but_not_uint8():
    blosc_u8, _ = compressors("lz4", "uint8")
    blosc_f4, _ = compressors("lz4", "float32")
    assert blosc_u8.shuffle.value == "noshuffle" and blosc_u8.typesize == 1
    assert blosc_f4.shuffle.value == "shuffle" and blosc_f4.typesize == 4


@pytest.mark.parametrize("codec", CODECS)
def test_xarray_reads_every_codec_without_warnings(tmp_path, codec):
    path = tmp_path / "s.zarr"
    filled_store(path, codec).set_complete()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(str(path))
    np.testing.assert_allclose(ds.images.isel(input=slice(0, 4)).values, images_of(0)[0] / 255.0, atol=1e-7)


def test_open_or_create_refuses_another_codec_unless_overwrite(tmp_path):
    path = tmp_path / "s.zarr"
    filled_store(path, "lz4", effects=False)
    with pytest.raises(LatentnavError, match="codec: 'lz4' vs 'zstd'.*--overwrite"):
        TraversalStore.open_or_create(path, contents("zstd"))
    store, resumed = TraversalStore.open_or_create(path, contents("zstd"), overwrite=True)
    assert not resumed and store.codec == "zstd" and store.pending_chunks() == [0, 1, 2]


@pytest.mark.parametrize("bad", ["gzip", "", "ZSTD"])
def test_unknown_codecs_are_refused_in_python(bad):
    with pytest.raises(ParameterError, match=f"codec={bad!r} is unknown; choose zstd, lz4, none"):
        TraverseConfig(codec=bad)
    with pytest.raises(ParameterError, match="is unknown"):
        contents(bad)


def _argv(ckpt, out, *extra):
    return ["traverse", "--checkpoint", ckpt, "--dataset", "digits", "--limit", "12", "--chunk-size", "4",
            "--out", out, *extra]


def test_cli_codecs_store_the_same_data_and_resume_checks_the_codec(digits_ckpt, tmp_path, cli):
    runs = {}
    for codec in CODECS:
        path = tmp_path / f"{codec}.zarr"
        code, out, err = cli(*_argv(digits_ckpt, path, "--codec", codec))
        assert code == 0, err
        runs[codec] = zarr.open_group(str(path), mode="r")
        assert runs[codec].attrs["codec"] == codec
    for name in runs["zstd"].array_keys():
        for codec in ("lz4", "none"):
            assert np.array_equal(runs["zstd"][name][...], runs[codec][name][...]), (codec, name)
    code, out, err = cli(*_argv(digits_ckpt, tmp_path / "lz4.zarr", "--codec", "lz4"))
    assert code == 0 and "resumed" in out, err
    code, _, err = cli(*_argv(digits_ckpt, tmp_path / "lz4.zarr"))  # the default, zstd
    assert_one_error_line(code, err, "codec: 'lz4' vs 'zstd'", "--overwrite")
    code, _, err = cli(*_argv(digits_ckpt, tmp_path / "lz4.zarr", "--overwrite"))
    assert code == 0, err
    assert zarr.open_group(str(tmp_path / "lz4.zarr"), mode="r").attrs["codec"] == "zstd"


def test_cli_unknown_codec_is_one_line(digits_ckpt, tmp_path, cli):
    code, _, err = cli(*_argv(digits_ckpt, tmp_path / "r.zarr", "--codec", "gzip"))
    assert_one_error_line(code, err, "--codec 'gzip' is unknown; choose zstd, lz4, none")
    assert not (tmp_path / "r.zarr").exists()

"""Every chunk of every store array carries a CRC32C checksum: damage reads as damage, never as data."""

import json
import os

import numpy as np
import pytest
import zarr

from latentnav import LatentnavError
from latentnav.store.chunks import DAMAGED, MISSING, OK, chunk_state, read_flags
from latentnav.store.layout import EFFECTS, LAYOUT_KEY
from latentnav.store.traversal_store import TraversalStore
from synthetic_store import N, S, chunk_file, contents, filled_store


@pytest.mark.parametrize("codec", ["zstd", "lz4", "none"])
def test_every_array_ends_its_codecs_with_crc32c(tmp_path, codec):
    path = tmp_path / "s.zarr"
    filled_store(path, codec)
    group = zarr.open_group(str(path), mode="r")
    names = sorted(group.array_keys())
    assert {"input", "latents", "labels", "images", "done", "effects_done", *EFFECTS} <= set(names)
    for name in names:
        codecs = json.loads((path / name / "zarr.json").read_text())["codecs"]
        assert codecs[-1]["name"] == "crc32c", (name, codecs)


@pytest.mark.parametrize("codec", ["zstd", "lz4", "none"])
def test_all_zero_chunks_still_get_a_file(tmp_path, codec):
    """Labels 0,1,2,0 / effects all zero equal the fill value; they must still be written (a missing file = damage)."""
    path = tmp_path / "s.zarr"
    store = filled_store(path, codec)
    group = store.group
    for name in ("input", "latents", "labels", "images", "reconstructions", *EFFECTS):
        for k in range(store.n_chunks):
            assert chunk_state(group[name], k) == OK, (name, k)
    assert np.array_equal(store.read("labels"), np.arange(N) % 3)


@pytest.mark.parametrize("name", ["images", "reconstructions", "latents", "labels", "input", "value", "pixel_change"])
def test_one_flipped_byte_anywhere_in_a_chunk_is_found(tmp_path, name):
    path = tmp_path / "s.zarr"
    filled_store(path, "lz4")
    victim = chunk_file(path, name, 0)
    data = victim.read_bytes()
    for position in (0, len(data) // 2, len(data) - 1):  # header, body, the checksum itself
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        victim.write_bytes(bytes(flipped))
        arr = zarr.open_group(str(path), mode="r")[name]
        assert chunk_state(arr, 0) == DAMAGED, position
        assert chunk_state(arr, 0, full=False) == OK  # the cheap check only sees the file
    victim.unlink()
    assert chunk_state(zarr.open_group(str(path), mode="r")[name], 0) == MISSING


def test_a_damaged_flag_reads_as_not_done_and_is_listed(tmp_path):
    path = tmp_path / "s.zarr"
    store = filled_store(path, effects=False)
    assert store.done_flags().tolist() == [True, True, True]
    (path / "done" / "c" / "1").write_bytes(b"")  # truncated to 0 bytes
    (path / "done" / "c" / "2").write_bytes(os.urandom(5))
    flags, damaged = read_flags(zarr.open_group(str(path), mode="r")["done"])
    assert flags.tolist() == [True, False, False] and damaged == [1, 2]
    assert store.done_flags().tolist() == [True, False, False]
    assert store.pending_chunks() == [1, 2]


def test_restore_rewrites_damaged_creation_arrays_and_clears_exactly_their_chunks(tmp_path):
    path = tmp_path / "s.zarr"
    store = filled_store(path, effects=True)
    store.set_complete()
    chunk_file(path, "latents", 1).unlink()
    chunk_file(path, "labels", 2).write_bytes(os.urandom(30))
    chunk_file(path, "value", 0).unlink()
    reopened = TraversalStore.open(path, "r+")
    assert reopened.restore(contents()) == [1, 2]
    assert reopened.done_flags().tolist() == [True, False, False]
    assert reopened.effects_done().tolist() == [True, False, False]
    assert not reopened.complete
    expect = contents()
    assert np.array_equal(reopened.read("latents"), expect.latents)
    assert np.array_equal(reopened.read("labels"), expect.labels)
    assert np.array_equal(reopened.read("value"), expect.values)
    assert reopened.restore(contents()) == []  # nothing left to repair


def test_restore_of_a_coordinate_only_decodes_nothing_again(tmp_path):
    path = tmp_path / "s.zarr"
    store = filled_store(path, effects=False)
    chunk_file(path, "step", 0).write_bytes(b"garbage")
    assert store.restore(contents()) == []
    assert store.done_flags().all() and np.array_equal(store.read("step"), np.arange(S))


@pytest.mark.parametrize("old", [1, 2])
def test_stores_of_older_layouts_are_refused_with_the_repair(tmp_path, old):
    path = tmp_path / "s.zarr"
    filled_store(path, effects=False)
    group = zarr.open_group(str(path), mode="r+")
    group.attrs[LAYOUT_KEY] = old
    with pytest.raises(LatentnavError, match=f"layout {old}, older than .*--overwrite"):
        TraversalStore.open(path)


@pytest.mark.parametrize("name", ["images", "latents", "done", "effects_done", "pixel_change"])
@pytest.mark.parametrize("damage", ["garbage", "deleted"])
def test_damaged_array_metadata_is_one_line_naming_the_repair(tmp_path, name, damage):
    path = tmp_path / "s.zarr"
    filled_store(path)
    meta = path / name / "zarr.json"
    if damage == "garbage":
        meta.write_text("{not json")
    else:
        meta.unlink()
    with pytest.raises(LatentnavError) as info:
        TraversalStore.open(path, "r+")
    message = str(info.value)
    assert f"{name}/zarr.json" in message and "--overwrite" in message and "\n" not in message

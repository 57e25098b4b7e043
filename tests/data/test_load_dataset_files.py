"""load_dataset on files in the official formats: finding the file, splits, --limit / --sample, lazy reading."""

import h5py
import numpy as np
import pytest
import torch

from dataset_files import (DSPRITES_NAME, DSPRITES_SIZES, SHAPES3D_SIZES, dsprites_arrays, file_index_of,
                           shapes3d_arrays, write_dataset_folder, write_mpi3d, write_shapes3d)
from latentnav import LatentnavError, load_dataset
from latentnav.data.datasets import load_again
from latentnav.data.images import LazyImages
from latentnav.errors import ParameterError
from latentnav.models.loaded import wrap_module
from latentnav.traversal import encoding
from latentnav.traversal.encoding import encode_inputs, stats_rows

N_DSPRITES = int(np.prod(DSPRITES_SIZES))  # 216
N_SHAPES3D = int(np.prod(SHAPES3D_SIZES))  # 96


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_dataset_folder(tmp_path_factory.mktemp("files"))


def _reference_split(n, split):
    """The documented rule, written out: a RandomState(0) permutation, the first ceil(20 %) are test, sorted."""
    order = np.random.RandomState(0).permutation(n)
    n_test = int(np.ceil(0.2 * n))
    return np.sort(order[:n_test] if split == "test" else order[n_test:])


@pytest.mark.parametrize("name, n, binary", [("dsprites", N_DSPRITES, True), ("shapes3d", N_SHAPES3D, False),
                                             ("mpi3d", 120, False)])
def test_official_file_found_in_data_dir_and_split_over_file_indices(data_dir, name, n, binary):
    test, train, every = (load_dataset(name, s, data_dir=data_dir) for s in ("test", "train", "all"))
    np.testing.assert_array_equal(every.index, np.arange(n))
    np.testing.assert_array_equal(test.index, _reference_split(n, "test"))
    np.testing.assert_array_equal(train.index, _reference_split(n, "train"))
    assert len(np.intersect1d(test.index, train.index)) == 0 and len(test) + len(train) == n
    # each row is the image of its file index: the index written in its pixels
    np.testing.assert_array_equal(file_index_of(test.images(slice(None)), binary), test.index)
    assert test.inputs.shape == (len(test), int(np.prod(test.image_shape)))
    assert test.origin["path"].endswith({"dsprites": DSPRITES_NAME, "shapes3d": "3dshapes.h5",
                                         "mpi3d": "mpi3d_toy.npz"}[name])


def test_data_dir_may_name_the_file_and_npz_prefix_names_a_path(data_dir):
    by_file = load_dataset("shapes3d", "test", data_dir=data_dir / "3dshapes.h5")
    by_dir = load_dataset("shapes3d", "test", data_dir=data_dir)
    np.testing.assert_array_equal(by_file.index, by_dir.index)
    data = load_dataset(f"npz:{data_dir / 'colour.npz'}", "all")
    assert data.image_shape == (3, 64, 64) and data.factor_names == ("row", "col") and len(data) == 64
    np.testing.assert_array_equal(data.labels, np.arange(64) // 16)  # the file's labels


def test_images_and_factors_are_the_files(data_dir):
    imgs, classes, _ = dsprites_arrays()
    data = load_dataset("dsprites", "test", data_dir=data_dir)
    np.testing.assert_array_equal(data.images(slice(None))[:, 0], imgs[data.index].astype(np.float32))
    np.testing.assert_array_equal(data.factors, classes[data.index])
    np.testing.assert_array_equal(data.labels, classes[data.index, 1])  # first non-constant factor: shape
    assert data.factor_names == ("color", "shape", "scale", "orientation", "posX", "posY")
    images, _, classes3 = shapes3d_arrays()
    colour = load_dataset("shapes3d", "all", data_dir=data_dir, limit=5)
    np.testing.assert_allclose(colour.images(slice(None)), images[:5].transpose(0, 3, 1, 2) / np.float32(255),
                               rtol=0, atol=0)
    np.testing.assert_array_equal(colour.labels, classes3[:5, 0])  # floor_hue


def test_limit_and_sample(data_dir):
    test = load_dataset("dsprites", "test", data_dir=data_dir)
    first = load_dataset("dsprites", "test", data_dir=data_dir, limit=7)
    np.testing.assert_array_equal(first.index, test.index[:7])
    assert len(load_dataset("dsprites", "test", data_dir=data_dir, limit=10**6)) == len(test)
    drawn = load_dataset("dsprites", "test", data_dir=data_dir, sample=9, seed=4)
    rows = np.sort(np.random.default_rng(4).choice(len(test), size=9, replace=False))
    np.testing.assert_array_equal(drawn.index, test.index[rows])
    assert np.all(np.diff(drawn.index) > 0)
    again = load_dataset("dsprites", "test", data_dir=data_dir, sample=9, seed=4)
    other = load_dataset("dsprites", "test", data_dir=data_dir, sample=9, seed=5)
    np.testing.assert_array_equal(again.index, drawn.index)
    assert not np.array_equal(other.index, drawn.index)
    np.testing.assert_array_equal(drawn.factors, test.factors[rows])
    np.testing.assert_array_equal(load_again(drawn.origin).index, drawn.index)


def test_builtin_sets_keep_their_rows_and_get_index_arange():
    test = load_dataset("digits", "test")
    np.testing.assert_array_equal(test.index, np.arange(360))
    assert isinstance(test.inputs, np.ndarray) and test.origin["path"] is None
    drawn = load_dataset("digits", "test", sample=5, seed=1)
    np.testing.assert_array_equal(drawn.inputs, test.inputs[drawn.index])
    assert len(load_dataset("digits", "all")) == 1797


def test_reading_never_loads_the_whole_file(data_dir, monkeypatch):
    data = load_dataset("dsprites", "all", data_dir=data_dir)
    source = data.inputs.source
    calls = []
    original = type(source).read

    def spy(self, indices):
        calls.append(np.asarray(indices).copy())
        return original(self, indices)

    monkeypatch.setattr(type(source), "read", spy)
    picked = data.inputs[[3, 150, 7]]
    assert picked.shape == (3, 4096) and [c.tolist() for c in calls] == [[3, 150, 7]]
    assert data.inputs[5].shape == (4096,) and calls[-1].tolist() == [5]
    assert (data.inputs[:4] > 0.5).shape == (4, 4096)
    calls.clear()
    monkeypatch.setattr(encoding, "BATCH_BYTES", 10 * 4096 * 4)  # 10 images a batch
    loaded = _flat_encoder()
    z = encode_inputs(loaded, data.inputs, torch.device("cpu"))
    assert z.shape == (N_DSPRITES, 2) and max(len(c) for c in calls) == 10
    np.testing.assert_array_equal(np.concatenate(calls), np.arange(N_DSPRITES))
    calls.clear()
    rows = np.array([200, 3, 17])
    np.testing.assert_allclose(encode_inputs(loaded, data.inputs, torch.device("cpu"), rows=rows), z[rows], atol=1e-6)


def _flat_encoder():
    class Mean(torch.nn.Module):
        def encode(self, x):
            flat = x.reshape(len(x), -1)
            return torch.stack([flat.mean(dim=1), flat[:, 0]], dim=1)

        def decode(self, z):
            return z.repeat(1, 2048)

    return wrap_module(Mean(), (1, 64, 64))


def test_stats_sample_is_seeded_sorted_and_bounded():
    assert stats_rows(10_000) is None
    rows = stats_rows(737_280)
    assert len(rows) == 10_000 and np.all(np.diff(rows) > 0) and rows.max() < 737_280
    np.testing.assert_array_equal(rows, stats_rows(737_280))


def test_lazy_images_match_np_asarray(data_dir):
    data = load_dataset("mpi3d", "test", data_dir=data_dir)
    assert isinstance(data.inputs, LazyImages)
    whole = np.asarray(data.inputs)
    assert whole.shape == data.inputs.shape and whole.dtype == np.float32
    np.testing.assert_array_equal(data.inputs[2:5], whole[2:5])
    np.testing.assert_array_equal(data.inputs[np.array([True, False] * (len(data) // 2))], whole[::2])
    with pytest.raises(IndexError):
        data.inputs[len(data)]


def test_grid_of_a_full_grid_file_gives_the_observations(data_dir):
    imgs, classes, _ = dsprites_arrays()
    data = load_dataset("dsprites", "test", data_dir=data_dir)
    assert data.grid is not None and data.grid.factor_sizes == DSPRITES_SIZES
    wanted = classes[[0, 100, 215]]
    np.testing.assert_array_equal(data.grid.observations(wanted), imgs[[0, 100, 215]].reshape(3, -1))
    assert load_dataset("mpi3d", "test", data_dir=data_dir).grid is None  # a subset of the grid


def test_pickled_metadata_is_never_unpickled(data_dir):
    load_dataset("dsprites", "all", data_dir=data_dir).images(slice(0, 3))
    assert not (data_dir / "unpickled.marker").exists()


@pytest.mark.parametrize("kwargs, fragment", [
    ({"name": "dsprites"}, "data_dir is needed for dsprites"),
    ({"name": "dsprites", "data_dir": "MISSING"}, "does not exist"),
    ({"name": "mpi3d", "data_dir": "EMPTY"}, "holds no mpi3d_toy.npz or mpi3d_realistic.npz or mpi3d_real.npz"),
    ({"name": "dsprites", "split": "validation", "data_dir": "."}, "'validation' is unknown; choose train, test, all"),
    ({"name": "dsprites", "data_dir": ".", "limit": 0}, "limit must be a whole number >= 1"),
    ({"name": "dsprites", "data_dir": ".", "limit": 3, "sample": 3}, "exclude each other"),
    ({"name": "npz:"}, "npz: needs a file path"),
    ({"name": "cifar"}, "'cifar' is unknown; choose one of digits, mnist, shapes, dsprites, shapes3d, mpi3d or npz:PATH"),
])
def test_bad_selections(data_dir, tmp_path, kwargs, fragment):
    kwargs = dict(kwargs)
    if kwargs.get("data_dir") == ".":
        kwargs["data_dir"] = data_dir
    elif kwargs.get("data_dir") == "MISSING":
        kwargs["data_dir"] = tmp_path / "nothere"
    elif kwargs.get("data_dir") == "EMPTY":
        kwargs["data_dir"] = tmp_path
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(")):
        load_dataset(**kwargs)


def test_several_official_files_are_ambiguous(tmp_path):
    write_mpi3d(tmp_path / "mpi3d_toy.npz")
    write_mpi3d(tmp_path / "mpi3d_real.npz")
    with pytest.raises(ParameterError, match="holds several mpi3d files .*pass the one to use as --data-dir FILE"):
        load_dataset("mpi3d", data_dir=tmp_path)
    assert len(load_dataset("mpi3d", "all", data_dir=tmp_path / "mpi3d_real.npz")) == 120


def test_an_h5_with_wrong_images_names_file_and_key(tmp_path):
    write_shapes3d(tmp_path / "3dshapes.h5", images=np.zeros((N_SHAPES3D, 64, 64, 3), np.float32))
    with pytest.raises(LatentnavError, match="key 'images' has dtype float32; expected uint8"):
        load_dataset("shapes3d", data_dir=tmp_path)
    with h5py.File(tmp_path / "3dshapes.h5", "r") as f:
        assert set(f) == {"images", "labels"}


def test_traverse_split_all_reads_in_batches_and_stores_file_indices(data_dir, tmp_path, monkeypatch):
    from latentnav.jobs.traverse import traverse_dataset
    from latentnav.traversal.config import TraverseConfig
    from latentnav.traversal.grid import GridConfig

    data = load_dataset("dsprites", "all", data_dir=data_dir)
    source = data.inputs.source
    sizes, original = [], type(source).read

    def spy(self, indices):
        sizes.append(len(indices))
        return original(self, indices)

    monkeypatch.setattr(type(source), "read", spy)
    monkeypatch.setattr(encoding, "BATCH_BYTES", 16 * 4096 * 4)  # 16 images a batch
    monkeypatch.setattr(encoding, "MAX_STATS_INPUTS", 50)  # sigma statistics from a sample of 50
    config = TraverseConfig(grid=GridConfig(mode="sigma", steps=2), effects=False)
    result = traverse_dataset(_flat_encoder(), data, tmp_path / "run.zarr", config, progress=False)
    assert result.n_inputs == N_DSPRITES and max(sizes) <= 16
    # every image once for the codes, 50 for the statistics, the first 1,000 (here all) for the range check
    assert sum(sizes) == N_DSPRITES + 50 + N_DSPRITES
    run = __import__("latentnav").open_run(tmp_path / "run.zarr")
    np.testing.assert_array_equal(run["input"].values, np.arange(N_DSPRITES))
    assert run.attrs["dataset_source"]["split"] == "all"

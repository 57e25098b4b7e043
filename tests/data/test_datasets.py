"""Datasets: digits split and scaling, MNIST from raw IDX files, shapes factors checked by hand."""

import struct

import numpy as np
import pytest
from sklearn.datasets import load_digits

from latentnav import LatentnavError, load_dataset
from latentnav.data.datasets import split_indices
from latentnav.data.shapes import FACTOR_SIZES, POSITIONS, SCALES, render_shapes


def test_digits_split_is_fixed_disjoint_and_complete():
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    assert train.inputs.shape == (1437, 784) and test.inputs.shape == (360, 784)
    assert train.inputs.dtype == np.float32 and test.labels.dtype == np.int64
    assert 0.0 <= test.inputs.min() and test.inputs.max() <= 1.0 and test.inputs.max() > 0.9
    tr, te = split_indices(1797, "train"), split_indices(1797, "test")
    assert len(np.intersect1d(tr, te)) == 0 and len(np.union1d(tr, te)) == 1797
    target = load_digits().target
    np.testing.assert_array_equal(test.labels, target[te])
    np.testing.assert_array_equal(load_dataset("digits", "test").inputs, test.inputs)  # same every time
    assert test.factors is None and test.image_shape == (1, 28, 28)


def test_digits_resize_keeps_the_picture():
    test = load_dataset("digits", "test")
    small = load_digits().images[split_indices(1797, "test")] / 16.0  # (360, 8, 8)
    big = test.inputs.reshape(-1, 28, 28)
    # average the 28x28 image back over the 8x8 grid cells it was stretched from (3.5 px each)
    edges = np.round(np.arange(9) * 3.5).astype(int)
    pooled = np.stack([[big[:, edges[i]:edges[i + 1], edges[j]:edges[j + 1]].mean(axis=(1, 2)) for j in range(8)]
                       for i in range(8)]).transpose(2, 0, 1)
    corr = np.corrcoef(pooled.ravel(), small.ravel())[0, 1]
    assert corr > 0.95


def _write_idx(path, array, magic):
    with open(path, "wb") as fh:
        fh.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape))
        fh.write(array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mnist(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, n in (("train", 7), ("t10k", 4)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = rng.integers(0, 10, size=n)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images, 0x803)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, 0x801)
        arrays[prefix] = (images, labels)
    return tmp_path, arrays


def test_mnist_reads_raw_idx_files(fake_mnist):
    root, arrays = fake_mnist
    test = load_dataset("mnist", "test", data_dir=root)
    images, labels = arrays["t10k"]
    np.testing.assert_allclose(test.inputs, images.reshape(4, 784) / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(test.labels, labels)
    assert len(load_dataset("mnist", "train", data_dir=root)) == 7


def test_mnist_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(LatentnavError, match="--download"):
        load_dataset("mnist", "test", data_dir=tmp_path)


def test_unknown_dataset_and_split():
    with pytest.raises(LatentnavError, match="choose one of digits, mnist, shapes"):
        load_dataset("cifar")
    with pytest.raises(LatentnavError, match="^split='validation' is unknown"):
        load_dataset("digits", "validation")


def _index(shape, scale, rotation, x, y):
    return int(np.ravel_multi_index((shape, scale, rotation, x, y), FACTOR_SIZES))


def test_shapes_every_combination_once_and_split():
    images, factors, names, sizes = render_shapes()
    assert images.shape == (2592, 28, 28) and factors.shape == (2592, 5)
    assert names == ("shape", "scale", "rotation", "x", "y") and sizes == (3, 4, 6, 6, 6)
    assert len({tuple(f) for f in factors}) == 2592
    test = load_dataset("shapes", "test")
    assert test.factors.shape == (519, 5) and np.array_equal(test.labels, test.factors[:, 0])
    assert 0.0 <= images.min() and images.max() == 1.0


def test_shapes_axis_aligned_square_is_exact():
    images, factors, _, _ = render_shapes()
    i = _index(0, 0, 0, 0, 0)  # square, half side 3.5 at (9.5, 9.5): covers [6, 13) in x and y exactly
    assert tuple(factors[i]) == (0, 0, 0, 0, 0)
    expected = np.zeros((28, 28), np.float32)
    expected[6:13, 6:13] = 1.0
    np.testing.assert_array_equal(images[i], expected)


def _moments(img):
    yy, xx = np.mgrid[0:28, 0:28] + 0.5
    m = img.sum()
    cx, cy = (img * xx).sum() / m, (img * yy).sum() / m
    mu20, mu02 = (img * (xx - cx) ** 2).sum() / m, (img * (yy - cy) ** 2).sum() / m
    mu11 = (img * (xx - cx) * (yy - cy)).sum() / m
    return m, cx, cy, mu20, mu02, mu11


@pytest.mark.parametrize("rotation", range(6))
def test_shapes_ellipse_area_centre_and_orientation(rotation):
    images, _, _, _ = render_shapes()
    img = images[_index(1, 3, rotation, 4, 2)]  # ellipse, s = 6.5, at x = 16.7, y = 13.1
    area, cx, cy, mu20, mu02, mu11 = _moments(img)
    s = SCALES[3]
    assert area == pytest.approx(np.pi * s * s / 2, rel=0.02)
    assert (cx, cy) == (pytest.approx(POSITIONS[4], abs=0.02), pytest.approx(POSITIONS[2], abs=0.02))
    # major-axis angle, counter-clockwise on screen (screen y points down, hence the minus sign)
    angle = np.degrees(-0.5 * np.arctan2(2 * mu11, mu20 - mu02))
    assert angle == pytest.approx(15 * rotation, abs=1.0)


def test_shapes_triangle_points_up_and_has_its_area():
    images, _, _, _ = render_shapes()
    img = images[_index(2, 2, 0, 3, 3)]  # triangle, circumradius 5.5, centre (14.9, 14.9)
    c = POSITIONS[3]
    area, cx, cy, *_ = _moments(img)
    assert area == pytest.approx(3 * np.sqrt(3) / 4 * 5.5 ** 2, rel=0.04)  # 4x4 supersampling
    assert cx == pytest.approx(c, abs=0.02) and cy == pytest.approx(c, abs=0.1)
    rows = np.nonzero(img.sum(axis=1) > 0)[0]
    assert rows[0] == int(c - 5.5) and rows[-1] == int(np.ceil(c + 5.5 / 2)) - 1  # apex at the top
    top, bottom = img[rows[0] + 1].sum(), img[rows[-1]].sum()
    assert bottom > 3 * top

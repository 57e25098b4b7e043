"""Probes and the DCI job: importances on data with a known answer, label handling, splits, factor modes."""

import numpy as np
import pytest
import torch

from latentnav.metrics.dci_probe import DCIConfig, compute_dci
from latentnav.metrics.factors import factor_matrix, split_train_test
from latentnav.metrics.probes import XGBOOST_PARAMS, encode_labels, fit_probe
from latentnav import LatentnavError, load_dataset
from latentnav.data.datasets import Dataset


def _data(n=400, L=6, informative=2, seed=0):
    """Codes where the factor is the sign pattern of code ``informative`` only (others are noise)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, L)).astype(np.float32)
    y = np.digitize(Z[:, informative], [-0.5, 0.5]) * 10 + 3  # labels 3, 13, 23: not 0..K-1
    return Z, y


@pytest.mark.parametrize("probe", ["xgboost", "sklearn"])
def test_probe_finds_the_informative_code(probe):
    Z, y = _data()
    result = fit_probe(Z[:300], y[:300], Z[300:], y[300:], probe=probe, device="cpu")
    assert result.importances.shape == (6,) and result.importances.sum() == pytest.approx(1.0)
    assert np.argmax(result.importances) == 2 and result.importances[2] > 0.8
    assert result.train_accuracy > 0.95 and result.test_accuracy > 0.9
    assert result.device == "cpu" and result.probe == probe


def test_xgboost_importances_include_unused_features_as_zero():
    Z, y = _data(L=5)
    Z = np.hstack([Z, np.zeros((len(Z), 3), np.float32)])  # constant codes are never split on
    result = fit_probe(Z, y, probe="xgboost", device="cpu")
    assert result.importances.shape == (8,) and np.all(result.importances[5:] == 0)
    assert result.test_accuracy is None


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_probe_is_xgbclassifier_bit_for_bit(n_classes):
    from xgboost import XGBClassifier

    Z, y = _data()
    y = np.unique(y, return_inverse=True)[1].ravel() % n_classes
    result = fit_probe(Z[:300], y[:300], Z[300:], y[300:], probe="xgboost", device="cpu", seed=3, n_jobs=1)
    model = XGBClassifier(**XGBOOST_PARAMS, device="cpu", random_state=3, n_jobs=1).fit(Z[:300], y[:300])
    gain = model.get_booster().get_score(importance_type="total_gain")
    expected = np.array([gain.get(f"f{i}", 0.0) for i in range(Z.shape[1])])
    np.testing.assert_array_equal(result.importances, expected / expected.sum())
    assert result.test_accuracy == np.mean(model.predict(Z[300:]) == y[300:])


def test_label_encoding():
    train, test, classes = encode_labels(np.array([7, 3, 7, 11]), np.array([3, 5]))
    np.testing.assert_array_equal(classes, [3, 7, 11])
    np.testing.assert_array_equal(train, [1, 0, 1, 2])
    np.testing.assert_array_equal(test, [0, -1])
    with pytest.raises(ValueError, match="two distinct"):
        fit_probe(np.zeros((4, 2)), np.ones(4))


def test_stratified_split_keeps_every_class_in_train():
    strata = np.array([0] * 50 + [1] * 5 + [2] * 2)
    train, test = split_train_test(strata, None, None, seed=0)
    assert len(train) + len(test) == 57 and len(np.intersect1d(train, test)) == 0
    assert set(strata[train]) == {0, 1, 2}
    train, test = split_train_test(strata, 30, 0, seed=0)
    assert len(train) == 30 and len(test) == 0
    with pytest.raises(LatentnavError, match="exceed"):
        split_train_test(strata, 50, 10, seed=0)


def test_factor_modes():
    data = load_dataset("digits", "test")
    f, names, warn = factor_matrix(data, "label")
    assert f.shape == (360, 1) and names == ["label"] and not warn
    f, names, _ = factor_matrix(data, "onehot")
    assert f.shape == (360, 10) and set(np.unique(f)) == {0, 1} and np.all(f.sum(axis=1) == 1)
    np.testing.assert_array_equal(f.argmax(axis=1), data.labels)
    with pytest.raises(LatentnavError, match="no ground-truth factors"):
        factor_matrix(data, "all")
    shapes = load_dataset("shapes", "test")
    f, names, _ = factor_matrix(shapes, "all")
    assert names == ["shape", "scale", "rotation", "x", "y"] and f.shape == (519, 5)


def test_constant_factor_is_dropped_with_a_warning():
    shapes = load_dataset("shapes", "test")
    keep = shapes.factors[:, 1] == 0  # one scale only: the scale factor is constant
    sub = Dataset("shapes", "test", shapes.inputs[keep], shapes.labels[keep], factors=shapes.factors[keep],
                  factor_names=shapes.factor_names, factor_sizes=shapes.factor_sizes)
    f, names, warn = factor_matrix(sub, "all")
    assert "scale" not in names and f.shape[1] == 4 and "'scale' is constant" in warn[0]


def test_compute_dci_label_and_onehot_on_known_codes():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=600)
    Z = rng.normal(size=(600, 4)).astype(np.float32) * 0.1
    Z[:, 0] += labels  # code 0 alone tells the class
    result = compute_dci(Z, labels[:, None], ["label"], DCIConfig(factors="label"))
    assert result.R.shape == (4, 1) and np.argmax(result.R[:, 0]) == 0
    assert result.article["informativeness"] == result.train_accuracy[0] > 0.95
    assert result.article["completeness"] == pytest.approx(result.R[:, 0].max() / (1 + 1e-8))
    assert result.scores.disentanglement == pytest.approx(1.0) and result.scores.completeness > 0.5
    onehot = (labels[:, None] == np.arange(3)).astype(np.int64)
    result = compute_dci(Z, onehot, ["a", "b", "c"], DCIConfig(factors="onehot", bootstrap=3))
    assert result.R.shape == (4, 3) and result.article is None and result.test_accuracy.mean() > 0.9
    assert result.bootstrap["resamples"] == 3
    lo, hi = result.bootstrap["completeness"]["ci95"]
    assert 0.0 <= lo <= hi <= 1.0


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_xgboost_probe_runs_on_cuda():
    Z, y = _data()
    result = fit_probe(Z, y, probe="xgboost", device="cuda")
    assert result.device == "cuda" and np.argmax(result.importances) == 2


def test_xgboost_reports_the_cpu_when_no_gpu_can_run_it(monkeypatch):
    import xgboost

    from latentnav.metrics import probes

    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(60, 3)).astype(np.float32), np.repeat([0, 1, 2], 20)
    monkeypatch.setattr(probes, "cuda_available", lambda: False)  # asked for cuda, no GPU
    assert fit_probe(Z, y, probe="xgboost", device="cuda").device == "cpu"
    monkeypatch.setattr(probes, "cuda_available", lambda: True)  # a GPU, but a CPU-only xgboost build
    monkeypatch.setattr(xgboost, "build_info", lambda: {"USE_CUDA": False})
    assert fit_probe(Z, y, probe="xgboost", device="cuda").device == "cpu"

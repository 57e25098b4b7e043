"""DCI's probes in worker processes: the same result bit for bit as in one process, and ``workers`` validated."""

import numpy as np
import pytest

from latentnav import LatentnavError
from latentnav.metrics.dci_probe import DCIConfig, compute_dci


def _codes_and_factors(n=240, seed=0):
    """Codes (n, 5) where codes 0 and 1 carry two factors (3 and 2 values) and a third factor is noise."""
    rng = np.random.default_rng(seed)
    factors = np.column_stack([rng.integers(0, 3, n), rng.integers(0, 2, n), rng.integers(0, 2, n)])
    Z = rng.normal(size=(n, 5)).astype(np.float32) * 0.5
    Z[:, 0] += factors[:, 0]
    Z[:, 1] += factors[:, 1]
    return Z, factors


@pytest.mark.parametrize("probe", ["xgboost", "sklearn"])
def test_workers_give_the_serial_result_bit_for_bit(probe):
    Z, factors = _codes_and_factors()
    names = ["a", "b", "noise"]
    serial, parallel = (compute_dci(Z, factors, names, DCIConfig(probe=probe, factors="given", bootstrap=2,
                                                                 device="cpu", workers=w)) for w in (1, 2))
    assert np.array_equal(serial.R, parallel.R)
    assert serial.disentanglement == parallel.disentanglement and serial.completeness == parallel.completeness
    assert np.array_equal(serial.train_accuracy, parallel.train_accuracy)
    assert np.array_equal(serial.test_accuracy, parallel.test_accuracy)
    assert serial.bootstrap == parallel.bootstrap
    assert parallel.config.workers == 2 and parallel.to_dict()["config"]["workers"] == 2
    assert np.argmax(serial.R[:, 0]) == 0 and np.argmax(serial.R[:, 1]) == 1  # a real fit, not an empty one


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(bad):
    with pytest.raises(LatentnavError, match="workers") as info:
        DCIConfig(workers=bad)
    assert info.value.param == "workers"

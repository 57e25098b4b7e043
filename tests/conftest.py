"""Shared fixtures: a small trained checkpoint, a CLI runner that captures exit status and stderr."""

import os

os.environ.setdefault("TQDM_DISABLE", "1")  # before anything imports tqdm (torch does): tqdm reads it at import

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def digits_ckpt(tmp_path_factory):
    """A seed-architecture checkpoint trained briefly on digits (good enough to classify, ~1 s)."""
    from latentnav.jobs.train import run_train
    from latentnav.models.training import TrainConfig

    path = tmp_path_factory.mktemp("ckpt") / "ae.pth"
    run_train(TrainConfig(epochs=15), path, device="cpu", progress=False)
    return path


@pytest.fixture(scope="session")
def shapes_ckpt(tmp_path_factory):
    """A seed-architecture checkpoint trained briefly on shapes (ground-truth factors, a full factor grid)."""
    from latentnav.jobs.train import run_train
    from latentnav.models.training import TrainConfig

    path = tmp_path_factory.mktemp("ckpt") / "shapes_ae.pth"
    run_train(TrainConfig(dataset="shapes", epochs=4, latent_dim=8), path, device="cpu", progress=False)
    return path


@pytest.fixture
def cli(capsys):
    """Run ``latentnav`` in-process: ``code, out, err = cli("train", "--out", ...)``."""
    from latentnav.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def assert_one_error_line(code, err, *fragments):
    """Exit 2 with exactly one ``latentnav: error:`` line that contains every fragment, no traceback."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("latentnav: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])

"""Effects and roles on decoders whose answer is known by construction, and the morphometrics kernel."""

import shutil

import numpy as np
import pytest
import torch

from latentnav.effects.measure import chunk_effects, pixel_change
from latentnav.effects.morphometrics import MEASURES, measures_and_change, morphometrics, morphometrics_reference
from latentnav.effects.roles import ROLES, RoleThresholds, assign_roles, summarize_dimensions, transition
from latentnav.jobs.traverse import TraverseConfig, traverse_dataset
from latentnav import LatentnavError
from latentnav.store.effects_store import EFFECT_NAMES
from latentnav.store.traversal_store import TraversalStore
from toy_models import toy_dataset, toy_loaded_model


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy") / "toy.zarr"
    traverse_dataset(toy_loaded_model(), toy_dataset(12), path, TraverseConfig(chunk_size=5), progress=False)
    return TraversalStore.open(path)


def test_roles_known_by_construction(toy_store):
    effects = toy_store.read_effects()
    roles, transitions = assign_roles(effects)
    summary = summarize_dimensions(roles, transitions, effects["pixel_change"], toy_store.dims)
    dead = summary[2]
    assert dead.modal_role == "no effect" and dead.consistency == 1.0 and dead.entropy_bits == 0.0
    assert np.all(effects["pixel_change"][:, 2] == 0)
    blend = summary[0]
    assert blend.modal_role == "identity" and blend.consistency == 1.0 and blend.modal_transition == "0→1"
    assert set(transitions[:, 0]) == {"0→1"}
    shear = summary[1]
    assert shear.modal_role == "stroke/rotation" and shear.consistency == 1.0
    slant = effects["morphometrics"][:, 1, :, MEASURES.index("slant")]
    assert np.all(np.diff(slant, axis=1) <= 1e-6) or np.all(np.diff(slant, axis=1) >= -1e-6)  # monotone shear
    assert set(effects["classes"][effects["class_prob"] >= 0.5].tolist()) <= {0, 1}


def test_effects_from_store_equal_on_the_fly(toy_store, tmp_path):
    from latentnav.jobs.effects import fill_effects

    effects = toy_store.read_effects()
    copy = tmp_path / "copy.zarr"
    shutil.copytree(toy_store.location, copy)
    store = TraversalStore.open(copy, "r+")
    for name in EFFECT_NAMES:  # as if traverse had run without effects
        del store.group[name]
    assert not store.has_effects()
    assert fill_effects(store, toy_loaded_model(), torch.device("cpu"), progress=False) == store.n_chunks
    again = store.read_effects()
    for name, value in effects.items():
        assert np.array_equal(np.asarray(value), np.asarray(again[name])), name


def test_transition_sequence():
    classes = np.array([5, 5, 3, 9, 9, 4])
    probs = np.array([0.9, 0.9, 0.2, 0.8, 0.7, 0.9])
    assert transition(classes, probs, 0.5) == [5, 9, 4]
    assert transition(classes, probs, 0.95) == []


def test_summary_shares_and_entropy():
    roles = np.array([[0, 1], [0, 1], [0, 2], [0, 3]], dtype=np.int8)
    transitions = np.array([["", "5→9"], ["", "5→9"], ["", ""], ["", ""]], dtype=object)
    change = np.zeros((4, 2, 3))
    s = summarize_dimensions(roles, transitions, change, [4, 7])
    assert s[0].modal_role == ROLES[0] and s[0].consistency == 1.0 and s[0].entropy_bits == 0.0
    assert s[1].dim == 7 and s[1].modal_role == "identity" and s[1].consistency == 0.5
    assert s[1].entropy_bits == pytest.approx(1.5) and s[1].modal_transition == "5→9"
    assert s[1].role_shares == {"no effect": 0.0, "identity": 0.5, "stroke/rotation": 0.25, "refinement": 0.25}


def test_thresholds_validated():
    with pytest.raises(LatentnavError):
        RoleThresholds(no_effect=-1)
    with pytest.raises(LatentnavError):
        RoleThresholds(min_confidence=2)


def test_morphometrics_kernel_matches_reference():
    rng = np.random.default_rng(0)
    images = (rng.random((2, 3, 4, 28, 28)) ** 3 * 255).astype(np.uint8)
    images[0, 0, 0] = 0  # an empty image
    got = morphometrics(images)
    for idx in np.ndindex(images.shape[:3]):
        np.testing.assert_allclose(got[idx], morphometrics_reference(images[idx]), rtol=1e-6, atol=1e-6)
    recon = (rng.random((2, 28, 28)) * 255).astype(np.uint8)
    measures, change = measures_and_change(images, recon)
    np.testing.assert_array_equal(measures, got)
    np.testing.assert_allclose(change, pixel_change(images[:, :, :, None], recon[:, None]), rtol=1e-6)


def test_morphometrics_closed_forms():
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 10:13] = 255  # 3 wide, 20 high
    area, thickness, slant, width, height = morphometrics(bar)
    assert (area, width, height, slant) == (60, 3, 20, 0)
    assert thickness == pytest.approx(2 * 60 / 46)
    sheared = np.zeros((28, 28), np.uint8)
    for y in range(4, 24):
        sheared[y, 10 + (y - 4) // 4: 13 + (y - 4) // 4] = 255  # leans like "\": x grows with y
    assert morphometrics(sheared)[MEASURES.index("slant")] == pytest.approx(0.25, abs=0.03)


def test_chunk_effects_accepts_float_images():
    model = toy_loaded_model()
    images = np.random.default_rng(1).random((2, 3, 2, 1, 28, 28)).astype(np.float32)
    recon = images[:, 0, 0]
    eff = chunk_effects(model, images, recon, torch.device("cpu"))
    assert eff.pixel_change.shape == (2, 3, 2) and eff.morphometrics.shape == (2, 3, 2, 5)
    assert np.all(eff.pixel_change[:, 0, 0] == 0)

"""Ownership: --overwrite removes only what latentnav wrote; files it did not write are replaced only with --overwrite;
a half-created or damaged store is always recognisable as latentnav's and a re-run (or --overwrite) gets out of it."""

import json
import uuid

import fsspec
import pytest
import zarr

from conftest import assert_one_error_line
from latentnav.jobs.outputs import MANIFEST
from latentnav.store.ownership import MARKER

SMALL = ("--dataset", "digits", "--limit", "4", "--steps", "3", "--chunk-size", "2")


def _traverse(cli, ckpt, out, *extra):
    return cli("traverse", "--checkpoint", ckpt, *SMALL, "--out", out, *extra)


@pytest.fixture(scope="module")
def small_store(digits_ckpt, tmp_path_factory):
    """A finished 4-input store with effects (inputs 0..3)."""
    from latentnav.cli import main

    out = tmp_path_factory.mktemp("own") / "run.zarr"
    assert main(["traverse", "--checkpoint", str(digits_ckpt), *SMALL, "--out", str(out)]) == 0
    return out


def _state(store):
    return json.loads((store / MARKER / "zarr.json").read_text())["attributes"]["state"]


def _user_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.tex").write_text("my thesis\n")
    (folder / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    return {p.name: p.read_bytes() for p in folder.iterdir()}


# ----------------------------------------------------------------------------------------------- stores
@pytest.mark.parametrize("scheme", ["", "file://"])
def test_overwrite_never_deletes_a_directory_of_user_files(cli, digits_ckpt, tmp_path, scheme):
    folder = tmp_path / "mine"
    before = _user_files(folder)
    code, _, err = _traverse(cli, digits_ckpt, f"{scheme}{folder}", "--overwrite")
    assert_one_error_line(code, err, "not a latentnav store")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("scheme", ["", "file://"])
def test_overwrite_never_replaces_a_user_file(cli, digits_ckpt, tmp_path, scheme):
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me\n")
    code, _, err = _traverse(cli, digits_ckpt, f"{scheme}{afile}", "--overwrite")
    assert_one_error_line(code, err, "is a file")
    assert afile.read_text() == "keep me\n"


def test_overwrite_never_deletes_user_objects_at_a_url(cli, digits_ckpt):
    fs = fsspec.filesystem("memory")
    root = f"/own-{uuid.uuid4().hex}"
    fs.pipe_file(f"{root}/notes.txt", b"mine")
    code, _, err = _traverse(cli, digits_ckpt, f"memory://{root}", "--overwrite")
    assert_one_error_line(code, err, "not a latentnav store")
    assert fs.cat_file(f"{root}/notes.txt") == b"mine"


def test_overwrite_replaces_a_latentnav_store_at_a_url(cli, digits_ckpt):
    url = f"memory://own-{uuid.uuid4().hex}/run.zarr"
    assert _traverse(cli, digits_ckpt, url)[0] == 0
    code, _, err = cli("traverse", "--checkpoint", digits_ckpt, *SMALL[:-2], "--chunk-size", "4", "--out", url)
    assert_one_error_line(code, err, "pass --overwrite")
    code, out, err = cli("traverse", "--checkpoint", digits_ckpt, *SMALL[:-2], "--chunk-size", "4", "--out", url,
                         "--overwrite")
    assert code == 0, err
    assert zarr.open_group(url, mode="r").attrs["chunk_size"] == 4


@pytest.mark.parametrize("damage", ["directory only", "marker only", "marker and garbage zarr.json",
                                    "killed while creating arrays"])
def test_a_half_created_store_is_rebuilt_by_a_plain_rerun(cli, digits_ckpt, tmp_path, monkeypatch, damage):
    out = tmp_path / "run.zarr"
    if damage == "killed while creating arrays":
        real = zarr.Group.create_array

        def dies(self, name, *args, **kwargs):
            if name == "images":
                raise KeyboardInterrupt  # as a SIGINT or SIGKILL half-way through creation
            return real(self, name, *args, **kwargs)

        monkeypatch.setattr(zarr.Group, "create_array", dies)
        assert _traverse(cli, digits_ckpt, out)[0] == 130
        monkeypatch.undo()
        assert _state(out) == "creating"
    else:
        out.mkdir()
        if damage != "directory only":
            (out / MARKER).mkdir()
            (out / MARKER / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": '
                                                    '{"latentnav_store": 1, "state": "creating"}}')
        if damage == "marker and garbage zarr.json":
            (out / "zarr.json").write_bytes(b"\x00garbage{")
    code, stdout, err = _traverse(cli, digits_ckpt, out)
    assert code == 0, err
    assert _state(out) == "created"
    assert zarr.open_group(str(out), mode="r")["done"][:].all()


@pytest.mark.parametrize("damage", ["garbage zarr.json", "done array deleted", "marker deleted, zarr.json garbage"])
def test_a_damaged_finished_store_needs_overwrite_and_overwrite_rebuilds_it(cli, digits_ckpt, tmp_path, damage):
    import shutil

    out = tmp_path / "run.zarr"
    assert _traverse(cli, digits_ckpt, out)[0] == 0
    if damage == "garbage zarr.json":
        (out / "zarr.json").write_text("{not json")
    elif damage == "done array deleted":
        shutil.rmtree(out / "done")
        meta = json.loads((out / "zarr.json").read_text())
        meta.get("consolidated_metadata", {}).get("metadata", {}).pop("done", None)
        (out / "zarr.json").write_text(json.dumps(meta))
    else:
        shutil.rmtree(out / MARKER)
        (out / "zarr.json").write_text("{not json")
    code, _, err = _traverse(cli, digits_ckpt, out)
    if damage == "marker deleted, zarr.json garbage":  # nothing says it is ours any more: never deleted
        assert_one_error_line(code, err, "not a latentnav store")
        return
    assert_one_error_line(code, err, "--overwrite")
    code, _, err = _traverse(cli, digits_ckpt, out, "--overwrite")
    assert code == 0, err
    assert zarr.open_group(str(out), mode="r")["done"][:].all()


def test_a_store_of_an_older_layout_without_marker_is_ours(cli, digits_ckpt, tmp_path):
    out = tmp_path / "run.zarr"
    zarr.open_group(str(out), mode="w", attributes={"latentnav_layout": 1})
    code, _, err = _traverse(cli, digits_ckpt, out)
    assert_one_error_line(code, err, "--overwrite")
    assert _traverse(cli, digits_ckpt, out, "--overwrite")[0] == 0


def test_storage_options_only_with_urls_and_unknown_schemes_named(cli, digits_ckpt, tmp_path):
    code, _, err = _traverse(cli, digits_ckpt, tmp_path / "r.zarr", "--storage-options", '{"anon": true}')
    assert_one_error_line(code, err, "--storage-options", "only used with a store URL")
    code, _, err = _traverse(cli, digits_ckpt, "foo://bar/run.zarr")
    assert_one_error_line(code, err, "unknown URL scheme 'foo'")
    assert not (tmp_path / "r.zarr").exists()


# ----------------------------------------------------------------------------------------------- files
def test_train_refuses_to_replace_a_sidecar_it_did_not_write(cli, tmp_path):
    out, side = tmp_path / "y.pth", tmp_path / "y.json"
    side.write_text('{"my": "data"}')
    code, _, err = cli("train", "--epochs", "1", "--out", out)
    assert_one_error_line(code, err, "y.json already exists and was not written by latentnav", "--overwrite")
    assert side.read_text() == '{"my": "data"}' and not out.exists()
    code, _, err = cli("train", "--epochs", "1", "--out", out, "--overwrite")
    assert code == 0, err
    assert "latentnav_checkpoint" in json.loads(side.read_text())
    out.unlink()  # a latentnav sidecar left without its checkpoint is latentnav's to replace
    assert cli("train", "--epochs", "1", "--out", out)[0] == 0


def test_train_refuses_a_json_checkpoint_name(cli, tmp_path):
    code, _, err = cli("train", "--epochs", "1", "--out", tmp_path / "m.json")
    assert_one_error_line(code, err, "the name of its sidecar")


def test_two_outputs_naming_one_file_are_refused(cli, digits_ckpt, tmp_path):
    same = tmp_path / "X.png"
    code, _, err = cli("dci", "--checkpoint", digits_ckpt, "--dataset", "digits", "--json", same, "--plot", same)
    assert_one_error_line(code, err, "--plot", "names the same file as --json")
    assert not same.exists()


def test_report_and_figures_never_replace_user_files_without_overwrite(cli, small_store, tmp_path):
    out = tmp_path / "rep"
    (out / "figures").mkdir(parents=True)
    (out / "report.md").write_text("my notes\n")
    code, _, err = cli("report", "--store", small_store, "--out", out)
    assert_one_error_line(code, err, "report.md exists and was not written by latentnav", "--overwrite")
    assert (out / "report.md").read_text() == "my notes\n"
    (out / "report.md").unlink()
    (out / "figures" / "heatmap.png").write_bytes(b"my figure")
    code, _, err = cli("report", "--store", small_store, "--out", out)
    assert_one_error_line(code, err, "heatmap.png exists and was not written by latentnav")
    assert (out / "figures" / "heatmap.png").read_bytes() == b"my figure" and not (out / "report.md").exists()
    assert cli("report", "--store", small_store, "--out", out, "--overwrite")[0] == 0
    assert (out / "figures" / "heatmap.png").read_bytes()[:4] == b"\x89PNG"
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert {"report.md", "report.json"} <= set(listed)
    assert cli("report", "--store", small_store, "--out", out)[0] == 0  # a re-run replaces its own files

    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "grid_input0.png").write_bytes(b"mine")
    code, _, err = cli("figures", "--store", small_store, "--out", figs)
    assert_one_error_line(code, err, "grid_input0.png exists and was not written by latentnav")
    assert (figs / "grid_input0.png").read_bytes() == b"mine"


def test_compare_never_replaces_user_files_without_overwrite(cli, small_store, tmp_path):
    rep = tmp_path / "rep"
    assert cli("report", "--store", small_store, "--out", rep)[0] == 0
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "compare.csv").write_text("mine\n")
    code, _, err = cli("compare", rep, "--out", out)
    assert_one_error_line(code, err, "compare.csv exists and was not written by latentnav")
    assert (out / "compare.csv").read_text() == "mine\n" and not (out / "compare.md").exists()
    assert cli("compare", rep, "--out", out, "--overwrite")[0] == 0
    assert cli("compare", rep, "--out", out)[0] == 0


def test_a_full_disk_while_creating_a_store_is_one_line_and_the_rerun_works(cli, digits_ckpt, tmp_path, monkeypatch):
    import errno

    from zarr.storage import LocalStore

    real_set = LocalStore.set
    calls = {"n": 0}

    async def full_disk(self, key, value, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 6:  # a few metadata documents fit, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        return await real_set(self, key, value, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "set", full_disk)
    out = tmp_path / "run.zarr"
    code, _, err = _traverse(cli, digits_ckpt, out)
    monkeypatch.undo()
    assert_one_error_line(code, err, "No space left on device")
    assert _state(out) == "creating"
    code, _, err = _traverse(cli, digits_ckpt, out)
    assert code == 0, err
    assert _state(out) == "created" and zarr.open_group(str(out), mode="r")["done"][:].all()


def test_a_study_never_replaces_a_users_file_in_its_folder(digits_ckpt, tmp_path):
    from latentnav import LatentnavError
    from latentnav.jobs.study import run_checkpoint_study

    (tmp_path / "dci_label.json").write_text("my own numbers\n")
    with pytest.raises(LatentnavError, match="dci_label.json exists and was not written by latentnav"):
        run_checkpoint_study(digits_ckpt, "digits", tmp_path, limit=4, progress=False)
    assert (tmp_path / "dci_label.json").read_text() == "my own numbers\n"
    assert not (tmp_path / "run.zarr").exists()

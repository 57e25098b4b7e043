"""Issue 14's "exit 1 with a traceback on bad input" list, one test each: exit 2, one ``latentnav: error:`` line.

Also "accepted silently": int/bool/complex weights, NaN only in the class head, warnings printed before an error
line; and part 4, no code chosen by data: a store or sidecar naming a model class never makes latentnav import it.
"""

import json
import shutil
import sys
import warnings

import numpy as np
import pytest
import torch

from conftest import assert_one_error_line

SMALL = ("--dataset", "digits", "--limit", "4", "--steps", "3", "--chunk-size", "2")


@pytest.fixture(scope="module")
def hostile(digits_ckpt, tmp_path_factory):
    """Checkpoints and JSON files a hostile user would hand over, and a finished small store with effects."""
    from latentnav.cli import main

    root = tmp_path_factory.mktemp("hostile")
    state = torch.load(digits_ckpt, weights_only=True)

    def ckpt(name, change, sidecar=None):
        path = root / f"{name}.pth"
        torch.save(change(dict(state)), path)
        if sidecar is not None:
            path.with_suffix(".json").write_text(sidecar)
        return path

    head = state["classifier.weight"].clone()
    head[3, 2] = float("nan")
    files = {
        "int_keys": ckpt("int_keys", lambda s: {**s, 7: torch.zeros(2)}),
        "sparse": ckpt("sparse", lambda s: {**s, "classifier.weight": s["classifier.weight"].to_sparse()}),
        "int_weights": ckpt("int_weights", lambda s: {**s, "classifier.weight": s["classifier.weight"].long()}),
        "bool_weights": ckpt("bool_weights", lambda s: {**s, "classifier.bias": s["classifier.bias"] > 0}),
        "complex_weights": ckpt("complex_weights", lambda s: {**s, "classifier.weight":
                                                              s["classifier.weight"].to(torch.complex64)}),
        "nan_head": ckpt("nan_head", lambda s: {**s, "classifier.weight": head}),
        "arch_string": ckpt("arch_string", lambda s: s, json.dumps({"latentnav_checkpoint": 1, "architecture": "ae"})),
        "arch_sizes": ckpt("arch_sizes", lambda s: s, json.dumps({"latentnav_checkpoint": 1, "architecture":
                                                                  {"kind": "ae", "latent_dim": "sixteen"}})),
    }
    (root / "bad_syntax.py").write_text("def broken(:\n    pass\n")
    (root / "raises.py").write_text("raise RuntimeError('boom while importing')\n")
    store = root / "run.zarr"
    assert main(["traverse", "--checkpoint", str(digits_ckpt), *SMALL, "--out", str(store)]) == 0
    dci = root / "dci.json"
    assert main(["dci", "--checkpoint", str(digits_ckpt), "--dataset", "digits", "--n-test", "0",
                 "--json", str(dci)]) == 0
    ragged = json.loads(dci.read_text())
    ragged["R"] = [[0.5, 0.1], [0.3]]
    (root / "ragged.json").write_text(json.dumps(ragged))
    for name, body in {"list": "[1]", "empty": "{}"}.items():
        (root / f"report_{name}").mkdir()
        (root / f"report_{name}" / "report.json").write_text(body)
    return {"root": root, "ckpt": digits_ckpt, "store": store, **files}


TRAVERSE = ("traverse", "--checkpoint", "@ckpt", "--dataset", "digits")
CASES = {  # id: (argv with @name = fixture file and %name = a fresh path, fragments of the error line)
    "checkpoint with int keys": (("traverse", "--checkpoint", "@int_keys", *SMALL, "--out", "%r.zarr"), ["key 7"]),
    "sparse tensors": (("traverse", "--checkpoint", "@sparse", *SMALL, "--out", "%r.zarr"), ["sparse"]),
    "int weights": (("traverse", "--checkpoint", "@int_weights", *SMALL, "--out", "%r.zarr"), ["torch.int64"]),
    "bool weights": (("traverse", "--checkpoint", "@bool_weights", *SMALL, "--out", "%r.zarr"), ["torch.bool"]),
    "complex weights": (("traverse", "--checkpoint", "@complex_weights", *SMALL, "--out", "%r.zarr"), ["complex64"]),
    "NaN only in the class head": (("traverse", "--checkpoint", "@nan_head", *SMALL, "--out", "%r.zarr"),
                                   ["NaN or Inf in classifier.weight"]),
    "sidecar architecture is a string": (("traverse", "--checkpoint", "@arch_string", *SMALL, "--out", "%r.zarr"),
                                         ["'architecture' is a str"]),
    "sidecar size is a string": (("traverse", "--checkpoint", "@arch_sizes", *SMALL, "--out", "%r.zarr"),
                                 ["latent_dim must be whole numbers"]),
    "--inputs 99999999999999999999": ((*TRAVERSE, "--inputs", "99999999999999999999", "--out", "%r.zarr"),
                                      ["--inputs"]),
    "--steps 1000000000000": ((*TRAVERSE, "--steps", "1000000000000", "--out", "%r.zarr"), ["--steps"]),
    "--chunk-size 1e18": ((*TRAVERSE, "--chunk-size", "1000000000000000000", "--out", "%r.zarr"), ["--chunk-size"]),
    "--memory-budget inf": ((*TRAVERSE, "--memory-budget", "inf", "--out", "%r.zarr"), ["--memory-budget"]),
    "--memory-budget 1e300": ((*TRAVERSE, "--memory-budget", "1e300", "--out", "%r.zarr"), ["--memory-budget"]),
    "--threads 1e11": ((*TRAVERSE, "--threads", "100000000000", "--out", "%r.zarr"), ["--threads must be at most"]),
    "--storage-options with a local --out": ((*TRAVERSE, "--storage-options", '{"anon": true}', "--out", "%r.zarr"),
                                             ["--storage-options", "URL"]),
    "--out foo://bar/run.zarr": ((*TRAVERSE, "--limit", "2", "--out", "foo://bar/run.zarr"),
                                 ["unknown URL scheme 'foo'"]),
    "--out on a read-only filesystem (data:)": ((*TRAVERSE, "--limit", "1", "--out", "data:,abc"),
                                                ["cannot create store data:,abc", "cannot be written"]),
    "dci --n-test 100000": (("dci", "--checkpoint", "@ckpt", "--dataset", "digits", "--n-test", "100000"),
                            ["--n-test 100000"]),
    "dci --factors onehot --n-train 5": (("dci", "--checkpoint", "@ckpt", "--dataset", "digits", "--factors", "onehot",
                                          "--n-train", "5"), ["--n-train", "single value"]),
    "dci --seed -1": (("dci", "--checkpoint", "@ckpt", "--dataset", "digits", "--seed", "-1"), ["--seed"]),
    "dci --bootstrap 1e14": (("dci", "--checkpoint", "@ckpt", "--dataset", "digits", "--bootstrap",
                              "100000000000000"), ["--bootstrap must be at most"]),
    "report --dci with a ragged R": (("report", "--store", "@store", "--dci", "@root/ragged.json", "--out", "%rep"),
                                     ["rectangular"]),
    "compare on a report.json that is [1]": (("compare", "@root/report_list", "--out", "%cmp"), ["not a latentnav report"]),
    "compare on a report.json that is {}": (("compare", "@root/report_empty", "--out", "%cmp"), ["not a latentnav report"]),
    "train --seed 99999999999999999999999": (("train", "--seed", "99999999999999999999999", "--out", "%m.pth"),
                                             ["--seed must be at most"]),
    "train --lr inf": (("train", "--lr", "inf", "--out", "%m.pth"), ["--lr must be a finite number"]),
    "train --epochs 1e20": (("train", "--epochs", "100000000000000000000", "--out", "%m.pth"), ["--epochs"]),
    "train --latent-dim 1e11": (("train", "--latent-dim", "100000000000", "--out", "%m.pth"), ["--latent-dim"]),
    "--model-class file with a syntax error": ((*TRAVERSE, "--model-class", "@root/bad_syntax.py:Net", "--out", "%r.zarr"),
                                               ["SyntaxError", "line 1"]),
    "--model-class file that raises on import": ((*TRAVERSE, "--model-class", "@root/raises.py:Net", "--out", "%r.zarr"),
                                                 ["RuntimeError: boom while importing"]),
}


def _expand(hostile, tmp_path, argv):
    out = []
    for a in argv:
        if a.startswith("@root/"):
            out.append(str(hostile["root"] / a[len("@root/"):]))
        elif a.startswith("@root"):
            out.append(str(hostile["root"]))
        elif a.startswith("@"):
            name, _, rest = a[1:].partition(":")
            out.append(str(hostile[name]) + (":" + rest if rest else ""))
        elif a.startswith("%"):
            out.append(str(tmp_path / a[1:]))
        else:
            out.append(a)
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_error_line(cli, hostile, tmp_path, case):
    argv, fragments = CASES[case]
    code, _, err = cli(*_expand(hostile, tmp_path, argv))
    assert_one_error_line(code, err, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created for a refused command


def test_model_class_module_on_the_path_that_fails_to_import(cli, hostile, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(hostile["root"]))
    for spec, fragment in (("bad_syntax:Net", "SyntaxError"), ("raises:Net", "RuntimeError: boom")):
        code, _, err = cli(*TRAVERSE[:2], hostile["ckpt"], *TRAVERSE[3:], "--model-class", spec, "--out",
                           tmp_path / "r.zarr")
        assert_one_error_line(code, err, fragment)
        sys.modules.pop(spec.split(":")[0], None)


def test_warnings_are_never_printed_before_an_error_line(cli, monkeypatch):
    """A numpy RuntimeWarning (or torch UserWarning) raised on the way to an error is dropped; after a success it shows."""
    import importlib

    from latentnav.errors import LatentnavError

    cli_main = importlib.import_module("latentnav.cli.main")

    def to_stderr(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    monkeypatch.setattr(warnings, "showwarning", to_stderr)  # as outside pytest: warnings print to stderr

    def warns_then_fails(args):
        np.log(np.array([-1.0]))  # RuntimeWarning: invalid value encountered in log
        warnings.warn("something a library says", UserWarning)
        raise LatentnavError("the one line")

    monkeypatch.setitem(cli_main.HANDLERS, "verify", warns_then_fails)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, _, err = cli("verify", "--store", "x")
    assert_one_error_line(code, err, "the one line")

    def warns_then_succeeds(args):
        warnings.warn("shown after a success", UserWarning)

    monkeypatch.setitem(cli_main.HANDLERS, "verify", warns_then_succeeds)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, _, err = cli("verify", "--store", "x")
    assert code == 0 and "shown after a success" in err


def test_sparse_checkpoint_error_has_no_torch_warning_line(cli, hostile, tmp_path):
    def to_stderr(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # torch warns about validating sparse tensors before latentnav refuses them
        warnings.showwarning = to_stderr  # as outside pytest: warnings print to stderr
        code, _, err = cli("traverse", "--checkpoint", hostile["sparse"], *SMALL, "--out", tmp_path / "r.zarr")
    assert_one_error_line(code, err, "sparse")


# ---------------------------------------------------------------- damaged stores (helper C's integrity part)
def _damaged_copy(hostile, tmp_path, damage):
    store = tmp_path / "run.zarr"
    shutil.copytree(hostile["store"], store)
    if damage == "garbage images/zarr.json":
        (store / "images" / "zarr.json").write_bytes(b"\x00\xffnot json")
    elif damage == "garbage zarr.json":
        (store / "zarr.json").write_bytes(b"{garbage")
    elif damage == "0-byte done chunk":
        next(p for p in (store / "done").rglob("*") if p.is_file() and p.name != "zarr.json").write_bytes(b"")
    elif damage == "garbage latents chunk":
        victim = next(p for p in (store / "latents").rglob("*") if p.is_file() and p.name != "zarr.json")
        victim.write_bytes(b"\x13garbage" * 7)
    return store


STORE_DAMAGE = ["garbage images/zarr.json", "garbage zarr.json", "0-byte done chunk", "garbage latents chunk"]


@pytest.mark.parametrize("damage", STORE_DAMAGE)
@pytest.mark.parametrize("command", ["traverse", "verify", "report"])
def test_a_damaged_store_gives_one_line_or_is_repaired(cli, hostile, tmp_path, damage, command):
    store = _damaged_copy(hostile, tmp_path, damage)
    argv = {"traverse": ("traverse", "--checkpoint", hostile["ckpt"], *SMALL, "--out", store),
            "verify": ("verify", "--store", store),
            "report": ("report", "--store", store, "--out", tmp_path / "rep")}[command]
    code, _, err = cli(*argv)
    if code != 0:
        assert_one_error_line(code, err)


# ---------------------------------------------------------------- part 4: no code chosen by data
def _importable_evil_module(folder, monkeypatch):
    """``evilmod.py`` on the import path, which creates the returned marker file if anything imports it."""
    marker = folder / "imported"
    (folder / "evilmod.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass X: pass\n")
    monkeypatch.syspath_prepend(str(folder))
    return marker


def test_a_store_naming_a_model_class_never_imports_it(cli, hostile, tmp_path, monkeypatch):
    import zarr

    marker = _importable_evil_module(tmp_path, monkeypatch)
    store = tmp_path / "run.zarr"
    shutil.copytree(hostile["store"], store)
    group = zarr.open_group(str(store), mode="r+")
    group.attrs.update({"model_kind": "evilmod:X"})
    zarr.consolidate_metadata(str(store))
    code, _, err = cli("effects", "--store", store)
    assert_one_error_line(code, err, "--model-class evilmod:X")
    code, _, err = cli("effects", "--store", store, "--model-class", "othermod:Y")
    assert_one_error_line(code, err, "--model-class evilmod:X")
    assert not marker.exists() and "evilmod" not in sys.modules


def test_a_sidecar_naming_a_model_class_never_imports_it(cli, hostile, tmp_path, monkeypatch):
    marker = _importable_evil_module(tmp_path, monkeypatch)
    ckpt = tmp_path / "m.pth"
    shutil.copy(hostile["ckpt"], ckpt)
    side = json.loads(hostile["ckpt"].with_suffix(".json").read_text())
    for arch in ({**side["architecture"], "kind": "evilmod:X"}, "evilmod:X"):
        ckpt.with_suffix(".json").write_text(json.dumps({**side, "architecture": arch, "model_class": "evilmod:X"}))
        code, _, err = cli("traverse", "--checkpoint", ckpt, *SMALL, "--out", tmp_path / "r.zarr")
        assert_one_error_line(code, err, "sidecar")
    assert not marker.exists() and "evilmod" not in sys.modules


def test_a_path_with_undecodable_bytes_is_printed_escaped(cli, tmp_path):
    """A lone surrogate (a file name's undecodable byte) in an error line is escaped, not an UnicodeEncodeError."""
    odd = str(tmp_path / "\udcff")
    code, _, err = cli("compare", odd, "--out", tmp_path / "cmp")
    assert_one_error_line(code, err, "no report.json at", "\\udcff")


def test_empty_storage_options_with_a_local_out_are_no_options(cli, hostile, tmp_path):
    code, _, err = cli(*[a.replace("@ckpt", str(hostile["ckpt"])) for a in TRAVERSE], "--limit", "1", "--steps", "2",
                       "--storage-options", "{}", "--out", tmp_path / "r.zarr")
    assert code == 0, err

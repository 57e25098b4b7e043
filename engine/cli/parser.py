"""The ``latentnav`` argument parser: every subcommand, its options and their value types."""

import argparse

from latentnav._version import __version__
from latentnav.cli.limits import check_option_ranges
from latentnav.errors import LatentnavError
from latentnav.metrics.probes import PROBES
from latentnav.metrics.suite import METRICS as METRIC_NAMES
from latentnav.traversal.grid import RANGE_MODES

DEFAULT_DEMO_DIR = "latentnav-demo"
MODEL_KINDS = ("ae", "vae", "conv-ae", "conv-vae")  # latentnav.models.checkpoint.ARCHITECTURES, without importing torch
DATASET_NAMES = "digits | mnist | shapes | dsprites | shapes3d | mpi3d | npz:PATH"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become :class:`LatentnavError` (one line, exit 2)."""

    def error(self, message):
        raise LatentnavError(f"{message} (see `{self.prog} --help`)")

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        check_option_ranges(parsed)  # huge, negative-seed and non-finite numbers: one line, before any work
        return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="latentnav", description="Batched evaluation of autoencoder latent spaces.")
    parser.add_argument("--version", action="version", version=f"latentnav {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="train, traverse, measure, score and report on the embedded default")
    demo.add_argument("--out", default=DEFAULT_DEMO_DIR, help=f"output directory (default {DEFAULT_DEMO_DIR})")
    demo.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    _add_data_options(demo, sampling=False)

    train = sub.add_parser("train", help="train the article's autoencoder (ae) or a beta-VAE (vae)")
    train.add_argument("--dataset", default="digits", help=f"{DATASET_NAMES} (default digits)")
    train.add_argument("--model", default="ae", help=f"{' | '.join(MODEL_KINDS)} (default ae; conv-*: 64x64 images)")
    train.add_argument("--latent-dim", type=int, default=None, help="latent size (default 16; 10 for conv-*)")
    train.add_argument("--epochs", type=int, default=None, help="default 80")
    train.add_argument("--batch-size", type=int, default=None, help="default 64")
    train.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-3)")
    train.add_argument("--beta", type=float, default=None, help="KL weight of the vae (default 4)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto | cpu | cuda")
    train.add_argument("--out", required=True, help="checkpoint file to write (CKPT.pth; CKPT.json beside it)")
    train.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint")
    _add_data_options(train)

    trav = sub.add_parser("traverse", help="decode every dimension x step x input into a resumable zarr store")
    _add_model_options(trav)
    trav.add_argument("--dataset", required=True, help=DATASET_NAMES)
    trav.add_argument("--split", default="test", help="train | test | all (default test)")
    which = trav.add_mutually_exclusive_group()
    which.add_argument("--inputs", type=_int_list, default=None, help="dataset indices, e.g. 12,19")
    which.add_argument("--limit", type=int, default=None, help="the first N inputs (default all)")
    trav.add_argument("--range-mode", default="fixed", help=f"{' | '.join(RANGE_MODES)} (default fixed)")
    trav.add_argument("--low", type=float, default=-3.0, help="fixed mode: first value (default -3)")
    trav.add_argument("--high", type=float, default=3.0, help="fixed mode: last value (default 3)")
    trav.add_argument("--steps", type=int, default=10, help="values per dimension (default 10)")
    trav.add_argument("--sigma-k", type=float, default=3.0, help="sigma mode: mean +- k std (default 3)")
    trav.add_argument("--quantiles", type=_float_pair, default=(0.05, 0.95), help="quantile mode: LOW,HIGH")
    trav.add_argument("--relative", action="store_true", help="add the values to z[d] instead of setting z[d]")
    trav.add_argument("--dims", type=_int_list, default=None, help="dimensions to traverse, e.g. 0,3,7 (default all)")
    trav.add_argument("--device", default="auto", help="auto | cpu | cuda")
    trav.add_argument("--chunk-size", default="auto", help="inputs per store chunk: auto or N")
    trav.add_argument("--memory-budget", type=_bytes, default=None, help="host working set for auto chunks, e.g. 512M")
    trav.add_argument("--threads", type=int, default=None, help="torch threads for decoding (default cores - 1 on CPU)")
    trav.add_argument("--dtype", default="uint8", help="uint8 (round(255 x), default) | float32")
    trav.add_argument("--codec", default="zstd", help="chunk compressor: zstd (default) | lz4 (faster, larger) | none; "
                                                        "every chunk is checksummed")
    trav.add_argument("--no-effects", action="store_true", help="skip the effects (compute later with `effects`)")
    trav.add_argument("--out", required=True, help="store directory RUN.zarr (resumed if it exists)")
    trav.add_argument("--overwrite", action="store_true", help="replace a store made with another configuration")
    trav.add_argument("--scheduler", default=None, help="shard over Dask: local or tcp://HOST:PORT (default: no Dask)")
    trav.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core)")
    trav.add_argument("--storage-options", type=_json_dict, default=None,
                      help="fsspec options (JSON) for a store URL such as s3://bucket/run.zarr")
    _add_data_options(trav)

    figs = sub.add_parser("figures", help="the article's strip, grid and a GIF per input, from a store")
    figs.add_argument("--store", required=True, help="RUN.zarr written by traverse")
    figs.add_argument("--inputs", type=_int_list, default=None, help="dataset indices (default the first two stored)")
    figs.add_argument("--dim", type=int, default=None, help="0-based dimension of the strip (default 7, the article's)")
    figs.add_argument("--title", default=None, help="title of the grid (default the article's)")
    figs.add_argument("--out", required=True, help="directory for the PNG and GIF files")
    figs.add_argument("--overwrite", action="store_true", help="replace files of the same names that latentnav did not write")


    dci = sub.add_parser("dci", help="Disentanglement, Completeness, Informativeness from tree-ensemble probes")
    _add_model_options(dci)
    dci.add_argument("--dataset", required=True, help=DATASET_NAMES)
    dci.add_argument("--split", default="test", help="the inputs to encode and split into train/test (default test)")
    dci.add_argument("--probe", default="xgboost",
                     help=f"{' | '.join(PROBES)} (default xgboost: fast, CUDA when present; sklearn: the article's)")
    dci.add_argument("--factors", default="label", help="label | onehot | all (default label)")
    dci.add_argument("--n-train", type=int, default=None, help="training inputs (default all but --n-test)")
    dci.add_argument("--n-test", type=int, default=None, help="held-out inputs (default 20 %%; 0 = score on train)")
    dci.add_argument("--bootstrap", type=int, default=0, help="B resamples for 95 %% intervals of D and C")
    dci.add_argument("--workers", type=int, default=1,
                     help="processes fitting the probes (default 1); the same numbers bit for bit")
    dci.add_argument("--seed", type=int, default=0)
    dci.add_argument("--device", default="auto", help="auto | cpu | cuda (xgboost probe and encoder)")
    dci.add_argument("--json", default=None, help="write everything, R included, to this JSON file")
    dci.add_argument("--plot", default=None, help="write the Hinton diagram of R to this PNG file")
    dci.add_argument("--overwrite", action="store_true", help="replace existing --json/--plot files")
    _add_data_options(dci)

    met = sub.add_parser("metrics", help="the disentanglement metric family: DCI, MIG, SAP, Modularity, IRS, FactorVAE, ...")
    _add_model_options(met)
    met.add_argument("--dataset", required=True, help=DATASET_NAMES)
    met.add_argument("--split", default="test", help="the inputs to encode and split into train/test (default test)")
    met.add_argument("--metrics", type=_word_list, default=None,
                     help=f"comma-separated, from {','.join(METRIC_NAMES)} (default: all the dataset supports)")
    met.add_argument("--n-train", type=int, default=None, help="training points (default 80 %% of the split, <= 10000)")
    met.add_argument("--n-test", type=int, default=None, help="held-out points (default 20 %% of the split, <= 5000)")
    met.add_argument("--probe", default="xgboost", help=f"DCI's probe: {' | '.join(PROBES)}")
    met.add_argument("--workers", type=int, default=1, help="processes fitting DCI's probes (default 1)")
    met.add_argument("--seed", type=int, default=0)
    met.add_argument("--device", default="auto", help="auto | cpu | cuda (the encoder)")
    met.add_argument("--json", default=None, help="write every value to this JSON file")
    met.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    _add_data_options(met)

    eff = sub.add_parser("effects", help="compute the traversal effects of an existing store (resumable)")
    eff.add_argument("--store", required=True, help="RUN.zarr written by traverse")
    _add_model_options(eff, required=False, help="the model that wrote the store (default: the one it records)")
    eff.add_argument("--device", default="auto", help="auto | cpu | cuda")


    rep = sub.add_parser("report", help="report.md, report.json and figures: what each dimension does")
    rep.add_argument("--store", required=True, help="RUN.zarr with effects")
    rep.add_argument("--dci", action="append", default=None,
                     help="DCI.json from `latentnav dci --json` for a DCI section (repeat for several)")
    rep.add_argument("--metrics", default=None, help="METRICS.json from `latentnav metrics --json` for a metrics section")
    rep.add_argument("--inputs", type=_int_list, default=None, help="inputs compared side by side (default 12,19)")
    rep.add_argument("--no-effect", type=float, default=None, help="role threshold: largest pixel change (default 0.02)")
    rep.add_argument("--min-confidence", type=float, default=None, help="role threshold: class probability (default 0.5)")
    rep.add_argument("--slant", type=float, default=None, help="role threshold: slant range (default 0.1)")
    rep.add_argument("--thickness", type=float, default=None, help="role threshold: relative thickness range (default 0.2)")
    rep.add_argument("--out", required=True, help="report directory")
    rep.add_argument("--overwrite", action="store_true", help="replace files of the same names that latentnav did not write")
    _add_model_options(rep, required=False,
                       help="factor roles: the model that wrote the store, if it moved (default: the one it records)")
    rep.add_argument("--data-dir", default=None,
                     help="factor roles: where the dataset file is now, if it moved (default: where the store records)")
    rep.add_argument("--device", default="auto", help="auto | cpu | cuda (factor roles re-encode traversed images)")
    rep.add_argument("--no-factors", action="store_true",
                     help="skip the factor roles of a dataset with ground-truth factors (they re-encode every image)")


    ver = sub.add_parser("verify", help="read every finished chunk; clear the flags of missing or damaged ones")
    ver.add_argument("--store", required=True, help="RUN.zarr")


    swp = sub.add_parser("sweep", help="traverse, DCI and report every checkpoint of a study, as Dask tasks")
    swp.add_argument("--checkpoints", required=True, help="glob of checkpoints, quoted: 'runs/*.pth'")
    swp.add_argument("--dataset", required=True, help=DATASET_NAMES)
    swp.add_argument("--split", default="test")
    which = swp.add_mutually_exclusive_group()
    which.add_argument("--inputs", type=_int_list, default=None, help="dataset indices, e.g. 12,19")
    which.add_argument("--limit", type=int, default=None, help="the first N inputs (default all)")
    which.add_argument("--sample", type=int, default=None, help="a random subset of N inputs of the split (see --seed)")
    swp.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    swp.add_argument("--probe", default="xgboost", help=" | ".join(PROBES))
    swp.add_argument("--factors", type=_word_list, default=("label",), help="DCI factor modes, e.g. label,onehot")
    swp.add_argument("--metrics", type=_word_list, default=(),
                     help=f"also compute these metrics per checkpoint, from {','.join(METRIC_NAMES)}")
    swp.add_argument("--scheduler", default="local", help="local (default) or tcp://HOST:PORT")
    swp.add_argument("--workers", type=int, default=None, help="local cluster size (default: one per core)")
    swp.add_argument("--out", required=True, help="sweep directory: one run per checkpoint and the summary")
    swp.add_argument("--overwrite", action="store_true", help="replace summary files of the same names that latentnav did not write")
    _add_data_options(swp, sampling=False)

    cmp_ = sub.add_parser("compare", help="put several runs' reports side by side")
    cmp_.add_argument("reports", nargs="+", help="report directories (or report.json files, or run directories)")
    cmp_.add_argument("--out", required=True, help="directory for compare.md/json/csv/png")
    cmp_.add_argument("--overwrite", action="store_true", help="replace files of the same names that latentnav did not write")

    return parser


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 12,19, got {text!r}") from None


def _word_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _json_dict(text: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"anon\": true}}', got {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _float_pair(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers LOW,HIGH such as 0.05,0.95, got {text!r}") from None
    return low, high


def _bytes(text: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    number, unit = (text[:-1], units[text[-1].upper()]) if text and text[-1].upper() in units else (text, 2**20)
    try:
        return int(float(number) * unit)
    except (ValueError, OverflowError):  # OverflowError: inf
        raise argparse.ArgumentTypeError(f"expected a size such as 512M or 2G, got {text!r}") from None


def _add_model_options(p: argparse.ArgumentParser, required: bool = True,
                       help: str = "CKPT.pth (ours, the article's state_dict, or a state_dict for --model-class)") -> None:
    p.add_argument("--checkpoint", required=required, default=None, help=help)
    p.add_argument("--model-class", default=None,
                   help="your own model: module:Class (importable) or path/to/file.py:Class")
    p.add_argument("--model-kwargs", type=_json_dict, default=None,
                   help="JSON keyword arguments for --model-class, e.g. '{\"latent_dim\": 10}'")


def _add_data_options(p: argparse.ArgumentParser, sampling: bool = True) -> None:
    """--data-dir and --download; with ``sampling`` also --sample and, where the command lacks them, --limit, --seed."""
    p.add_argument("--data-dir", default=None,
                   help="dsprites/shapes3d/mpi3d: the directory holding the official file, or the file itself; "
                        "mnist: where DIR/MNIST/raw is (default ~/.cache/latentnav)")
    p.add_argument("--download", action="store_true", help="download MNIST if it is not in --data-dir")
    if not sampling:
        return
    if "--limit" not in p._option_string_actions:
        p.add_argument("--limit", type=int, default=None, help="only the first N inputs of the split")
    p.add_argument("--sample", type=int, default=None, help="a random subset of N inputs of the split (see --seed)")
    if "--seed" not in p._option_string_actions:
        p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")

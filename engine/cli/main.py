"""The ``latentnav`` command line: parses arguments, calls one job of :mod:`latentnav.jobs`, prints.

Exit status: 0 ok; 2 bad input, with one line ``latentnav: error: ...`` and no traceback; 1 unexpected.
Library errors name Python parameters; :data:`FLAGS` spells the ones whose flag is not ``--name-with-dashes``.
"""

import json
import contextlib
import sys
import warnings

from latentnav.cli.console import dci_report, demo_summary, metrics_table, training_summary, traverse_summary
from latentnav.cli.parser import build_parser
from latentnav.errors import LatentnavError, ParameterError

FLAGS = {"json_out": "--json", "plot_out": "--plot", "dci_json": "--dci", "store_path": "--store",
         "metrics_json": "--metrics"}

def _train(args) -> None:
    from latentnav.jobs.train import run_train
    from latentnav.models.training import TrainConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "beta") if getattr(args, k) is not None}
    config = TrainConfig(dataset=args.dataset, model=args.model, latent_dim=args.latent_dim, seed=args.seed,
                         limit=args.limit, sample=args.sample, **overrides)
    result = run_train(config, args.out, device=args.device, data_dir=args.data_dir, download=args.download,
                       overwrite=args.overwrite)
    _print(training_summary(result))


def _traverse(args) -> None:
    from latentnav.traversal.grid import GridConfig
    from latentnav.jobs.traverse import run_traverse
    from latentnav.traversal.config import TraverseConfig

    if args.chunk_size == "auto":
        chunk = None
    else:
        try:
            chunk = int(args.chunk_size)
        except ValueError:
            raise ParameterError("chunk_size", f"must be auto or a whole number, got {args.chunk_size!r}") from None
    grid = GridConfig(mode=args.range_mode, low=args.low, high=args.high, steps=args.steps, sigma_k=args.sigma_k,
                      q_low=args.quantiles[0], q_high=args.quantiles[1], relative=args.relative)
    config = TraverseConfig(grid=grid, inputs=args.inputs, limit=args.limit, dims=args.dims, dtype=args.dtype,
                            chunk_size=chunk, memory_budget=args.memory_budget, torch_threads=args.threads,
                            effects=not args.no_effects, codec=args.codec)
    result = run_traverse(args.checkpoint, args.dataset, args.out, config, split=args.split, device=args.device,
                          overwrite=args.overwrite, data_dir=args.data_dir, download=args.download,
                          model_class=args.model_class, model_kwargs=args.model_kwargs,
                          storage_options=args.storage_options,
                          scheduler=args.scheduler, workers=args.workers, sample=args.sample, seed=args.seed)
    for line in result.warnings:
        _print(f"latentnav: warning: {line}", file=sys.stderr)
    _print(traverse_summary(result))


def _figures(args) -> None:
    from latentnav.report.figures import ARTICLE_GRID_TITLE
    from latentnav.jobs.report import run_figures

    result = run_figures(args.store, args.out, inputs=list(args.inputs) if args.inputs else None, dim=args.dim,
                         title=args.title or ARTICLE_GRID_TITLE, overwrite=args.overwrite)
    for path in result.files:
        _print(path)


def _dci(args) -> None:
    from latentnav.metrics.dci_probe import DCIConfig
    from latentnav.jobs.dci import run_dci

    config = DCIConfig(probe=args.probe, factors=args.factors, n_train=args.n_train, n_test=args.n_test,
                       bootstrap=args.bootstrap, seed=args.seed, device=args.device,
                       workers=args.workers)
    result = run_dci(args.checkpoint, args.dataset, config, split=args.split, json_out=args.json, plot_out=args.plot,
                     overwrite=args.overwrite, data_dir=args.data_dir, download=args.download,
                     model_class=args.model_class, model_kwargs=args.model_kwargs, limit=args.limit,
                     sample=args.sample)
    for line in result.warnings:
        _print(f"latentnav: warning: {line}", file=sys.stderr)
    _print(dci_report(result))
    for label, path in (("json", args.json), ("hinton diagram", args.plot)):
        if path:
            _print(f"{label}: {path}")


def _metrics(args) -> None:
    from latentnav.jobs.metrics import run_metrics

    result = run_metrics(args.checkpoint, args.dataset, args.metrics, split=args.split, n_train=args.n_train,
                         n_test=args.n_test, seed=args.seed, probe=args.probe, json_out=args.json,
                         overwrite=args.overwrite, device=args.device, data_dir=args.data_dir, download=args.download,
                         model_class=args.model_class, model_kwargs=args.model_kwargs,
                         workers=args.workers, limit=args.limit, sample=args.sample)
    for line in result.warnings:
        _print(f"latentnav: warning: {line}", file=sys.stderr)
    _print(metrics_table(result))
    if args.json:
        _print(f"json: {args.json}")


def _effects(args) -> None:
    from latentnav.jobs.effects import run_effects

    result = run_effects(args.store, checkpoint=args.checkpoint, model_class=args.model_class,
                         model_kwargs=args.model_kwargs, device=args.device)
    _print(f"effects: {result.chunks_computed} of {result.chunks_total} chunks computed in {result.seconds:.2f} s "
          f"(the rest were done); store {result.store}")


def _report(args) -> None:
    from latentnav.jobs.report import run_report
    from latentnav.effects.roles import RoleThresholds

    names = {"no_effect": args.no_effect, "min_confidence": args.min_confidence, "slant": args.slant,
             "thickness": args.thickness}
    thresholds = RoleThresholds(**{k: v for k, v in names.items() if v is not None})
    result = run_report(args.store, args.out, dci_json=args.dci, metrics_json=args.metrics,
                        inputs=list(args.inputs) if args.inputs else None, thresholds=thresholds,
                        factors=not args.no_factors, checkpoint=args.checkpoint, model_class=args.model_class,
                        model_kwargs=args.model_kwargs, data_dir=args.data_dir, device=args.device,
                        overwrite=args.overwrite)
    warning = (json.loads(result.json.read_text()).get("range") or {}).get("warning")
    if warning:
        _print(f"latentnav: warning: {warning}", file=sys.stderr)
    _print(f"report: {result.markdown}\njson: {result.json}\nfigures: {len(result.figures)} in {result.markdown.parent / 'figures'}")


def _verify(args) -> None:
    from latentnav.store import open_store

    store = open_store(args.store, "r+")
    damage = store.verify(full=True)
    if damage.clean:
        _print(f"verify: {store.n_chunks} chunks, all finished chunks read back intact (every array, checksums)")
        return
    arrays = "; ".join(f"{name} {chunks}" for name, chunks in damage.arrays.items())
    _print(f"verify: damaged or missing chunks ({arrays}) cleared: images {damage.images}, effects {damage.effects}; "
          f"re-run the traverse command (or `latentnav effects --store {args.store}`) to recompute only those")


def _sweep(args) -> None:
    from latentnav.jobs.sweep import SweepOptions, run_sweep

    options = SweepOptions(dataset=args.dataset, factors=args.factors, probe=args.probe, split=args.split,
                           inputs=args.inputs, limit=args.limit, sample=args.sample, seed=args.seed,
                           data_dir=args.data_dir, metrics=tuple(args.metrics))
    result = run_sweep(args.checkpoints, args.out, options, scheduler=args.scheduler, workers=args.workers,
                       overwrite=args.overwrite)
    _print(f"sweep: {len(result.rows)} runs finished ({len(result.skipped)} already done), {len(result.failures)} failed, "
          f"{result.seconds:.1f} s; summary {result.summary}")
    for failure in result.failures:
        _print(f"latentnav: warning: {failure['name']} failed: {failure['error']}", file=sys.stderr)


def _compare(args) -> None:
    from latentnav.jobs.compare import run_compare

    _print(f"comparison: {run_compare(args.reports, args.out, overwrite=args.overwrite)}")


def _demo(args) -> None:
    from latentnav.jobs.study import run_demo

    result = run_demo(args.out, dataset=args.dataset, data_dir=args.data_dir, download=args.download)
    _print(demo_summary(result))


HANDLERS = {
    "demo": _demo, "train": _train, "traverse": _traverse, "figures": _figures, "dci": _dci, "metrics": _metrics,
    "effects": _effects,
    "report": _report, "verify": _verify, "sweep": _sweep, "compare": _compare,
}


@contextlib.contextmanager
def _warnings_unless_error():
    """Hold library warnings (numpy's RuntimeWarnings, torch's UserWarnings) until the command ends: shown after a
    success, dropped when it fails, so an error is always exactly one line."""
    with warnings.catch_warnings(record=True) as held:
        yield
    for w in held:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


def _print(text: str, file=None) -> None:
    """``print`` that escapes what the stream cannot encode (a path with undecodable bytes) instead of raising."""
    stream = file or sys.stdout
    encoding = getattr(stream, "encoding", None) or "utf-8"
    print(str(text).encode(encoding, "backslashreplace").decode(encoding), file=stream)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        with _warnings_unless_error():
            HANDLERS[args.command](args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except ParameterError as exc:
        _print(f"latentnav: error: {exc.for_cli(FLAGS)}", file=sys.stderr)
        return 2
    except LatentnavError as exc:
        _print(f"latentnav: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        _print(f"latentnav: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _print("latentnav: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

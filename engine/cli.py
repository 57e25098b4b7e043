"""The ``latentnav`` command line: parses arguments, calls one job of :mod:`engine.pipeline`, prints.

Exit status: 0 ok; 2 bad input, with one line ``latentnav: error: ...`` and no traceback; 1 unexpected.
"""

import argparse
import sys
from pathlib import Path

from models.errors import LatentnavError

DEFAULT_DEMO_DIR = "latentnav-demo"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors become :class:`LatentnavError` (one line, exit 2)."""

    def error(self, message):
        raise LatentnavError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="latentnav", description="Batched evaluation of autoencoder latent spaces.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="train on the embedded default and show the model")
    demo.add_argument("--out", default=DEFAULT_DEMO_DIR, help=f"output directory (default {DEFAULT_DEMO_DIR})")
    demo.add_argument("--dataset", default="digits", choices=["digits", "mnist"])
    _add_data_options(demo)
    demo.set_defaults(handler=_demo)

    train = sub.add_parser("train", help="train the article's autoencoder (ae) or a beta-VAE (vae)")
    train.add_argument("--dataset", default="digits", help="digits | mnist | shapes (default digits)")
    train.add_argument("--model", default="ae", help="ae | vae (default ae)")
    train.add_argument("--latent-dim", type=int, default=16)
    train.add_argument("--epochs", type=int, default=None, help="default 80")
    train.add_argument("--batch-size", type=int, default=None, help="default 64")
    train.add_argument("--lr", type=float, default=None, help="Adam learning rate (default 2e-3)")
    train.add_argument("--beta", type=float, default=None, help="KL weight of the vae (default 4)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto | cpu | cuda")
    train.add_argument("--out", required=True, help="checkpoint file to write (CKPT.pth; CKPT.json beside it)")
    train.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint")
    _add_data_options(train)
    train.set_defaults(handler=_train)
    return parser


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=None, help="where MNIST lives (DIR/MNIST/raw); default ~/.cache/latentnav")
    p.add_argument("--download", action="store_true", help="download MNIST if it is not in --data-dir")


def _train(args) -> None:
    from engine.pipeline import run_train
    from models.training import TrainConfig

    overrides = {k: getattr(args, k) for k in ("epochs", "batch_size", "lr", "beta") if getattr(args, k) is not None}
    config = TrainConfig(dataset=args.dataset, model=args.model, latent_dim=args.latent_dim, seed=args.seed, **overrides)
    result = run_train(config, args.out, device=args.device, data_dir=args.data_dir, download=args.download,
                       overwrite=args.overwrite)
    _print_training(result)


def _print_training(result) -> None:
    test = result.metrics.get("test", {})
    print(f"checkpoint: {result.checkpoint} (sidecar {result.sidecar})")
    how = "reused existing checkpoint" if result.reused else f"trained in {result.seconds:.1f} s on {result.device}"
    print(f"{how}; test accuracy {test.get('accuracy', float('nan')):.4f}, "
          f"test reconstruction BCE {test.get('recon_bce', float('nan')):.4f}, MSE {test.get('recon_mse', float('nan')):.5f}")


def _demo(args) -> None:
    from engine.paths import prepare_output_dir
    from engine.pipeline import ensure_checkpoint, model_summary
    from models.checkpoint import load_checkpoint
    from models.training import TrainConfig

    out = prepare_output_dir(args.out)
    result = ensure_checkpoint(out / "model.pth", TrainConfig(dataset=args.dataset), data_dir=args.data_dir,
                               download=args.download)
    _print_training(result)
    print(model_summary(load_checkpoint(result.checkpoint)))
    print(f"outputs in {Path(out).resolve()}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.handler(args)
    except LatentnavError as exc:
        print(f"latentnav: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"latentnav: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("latentnav: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The DCI job: encode a dataset with a checkpoint's model, fit the probes, score, write JSON and the Hinton diagram."""

import json
from dataclasses import replace
from pathlib import Path

from latentnav.devices import resolve_device
from latentnav.files import atomic_write_text, figure_format, save_figure
from latentnav.jobs.outputs import distinct_outputs, prepare_output_file
from latentnav.metrics.dci_probe import DCIConfig, DCIResult, compute_dci
from latentnav.metrics.factors import factor_matrix
from latentnav.models.checkpoint import load_checkpoint
from latentnav.data.datasets import load_dataset
from latentnav.report.figures import hinton_figure
from latentnav.traversal.encoding import encode_inputs


def run_dci(checkpoint: str | Path, dataset: str, config: DCIConfig = DCIConfig(), *, split: str = "test",
            json_out: str | Path | None = None, plot_out: str | Path | None = None, overwrite: bool = False,
            data_dir=None, download: bool = False, model_class: str | None = None,
            model_kwargs: dict | None = None, limit: int | None = None, sample: int | None = None) -> DCIResult:
    """DCI of the model's latents of ``dataset``/``split``; writes the JSON and the Hinton diagram when asked.

    ``limit`` (the first N of the split) or ``sample`` (a subset drawn with ``config.seed``) selects the inputs.
    """
    distinct_outputs(json_out=json_out, plot_out=plot_out)
    if plot_out:
        figure_format(plot_out, param="plot_out")  # a .txt plot is refused before any work
    json_path = prepare_output_file(json_out, overwrite=overwrite, param="json_out") if json_out else None
    plot_path = prepare_output_file(plot_out, overwrite=overwrite, param="plot_out") if plot_out else None
    if config.device == "cuda":
        resolve_device("cuda")  # a clear error when no GPU is visible
    data = load_dataset(dataset, split, data_dir=data_dir, download=download, limit=limit, sample=sample,
                        seed=config.seed)
    model = load_checkpoint(checkpoint, model_class=model_class, model_kwargs=model_kwargs,
                            input_shape=data.image_shape)
    factors, names, warnings = factor_matrix(data, config.factors)
    Z = encode_inputs(model, data.inputs, resolve_device("auto" if config.device == "auto" else config.device))
    result = compute_dci(Z, factors, names, config, warnings=warnings)
    result = replace(result, source={"model": model.describe(), "dataset": dataset, "split": split, "n_inputs": len(data)})
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(result.to_dict(), indent=2) + "\n")
    if plot_path is not None:
        fig = hinton_figure(result.R, names, title=f"DCI importance R ({config.probe}, {config.factors})")
        save_figure(fig, plot_path, dpi=100)
    return result

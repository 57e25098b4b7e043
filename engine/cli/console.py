"""Text the CLI prints: training, traversal and DCI summaries (pure functions of result records)."""


def training_summary(result) -> str:
    test = result.metrics.get("test", {})
    how = "reused existing checkpoint" if result.reused else f"trained in {result.seconds:.1f} s on {result.device}"
    accuracy = test.get("accuracy")
    head = "no classifier head" if accuracy is None else f"test accuracy {accuracy:.4f}"
    return (f"checkpoint: {result.checkpoint} (sidecar {result.sidecar})\n"
            f"{how}; {head}, "
            f"test reconstruction BCE {test.get('recon_bce', float('nan')):.4f}, MSE {test.get('recon_mse', float('nan')):.5f}")


def traverse_summary(r) -> str:
    """The final summary line of a traversal."""
    resumed = f", resumed: {r.chunks_computed} chunks left" if r.resumed else ""
    return (f"traversed {r.n_inputs:,} inputs, {r.n_images:,} images ({r.images_computed:,} computed{resumed}) in "
            f"{r.seconds:.2f} s, {r.images_per_second:,.0f} images/s on {r.device}; store {r.store}: "
            f"{r.disk_bytes / 2**20:.1f} MiB on disk, compression {r.compression_ratio:.2f}x")


def dci_report(r) -> str:
    """The printed DCI report: the article's three lines, then the paper's scores and a per-factor table."""
    lines = ["DCI Metrics"]
    if r.article is not None:
        lines += [f"- Informativeness (accuracy): {r.article['informativeness']:.4f}",
                  f"- Disentanglement: {r.article['disentanglement']:.4f}",
                  f"- Completeness: {r.article['completeness']:.4f}",
                  "  (the article's simplified scores: accuracy on the training data, D = sum p^2, C = max p)"]
    else:
        lines += [f"- Informativeness (accuracy): {r.train_accuracy.mean():.4f}",
                  f"- Disentanglement: {r.scores.disentanglement:.4f}",
                  f"- Completeness: {r.scores.completeness:.4f}",
                  f"  (paper scores over {len(r.factor_names)} factors; mean training accuracy)"]
    held = "n/a (--n-test 0)" if r.test_accuracy is None else f"{r.test_accuracy.mean():.4f}"
    note = " (K = 1: every code can only inform the one factor, so D = 1 by convention)" if len(r.factor_names) == 1 else ""
    lines += [
        f"Paper DCI (Eastwood & Williams 2018), {r.config.factors} factors, probe {r.config.probe} on {r.probe_device}, "
        f"{r.probe_seconds:.2f} s:",
        f"  disentanglement {r.scores.disentanglement:.4f}{note}",
        f"  completeness    {r.scores.completeness:.4f}",
        f"  informativeness train {r.train_accuracy.mean():.4f}, held-out {held} (n_train {r.n_train}, n_test {r.n_test})",
    ]
    if r.bootstrap:
        b = r.bootstrap
        lines.append(f"  bootstrap ({b['resamples']} resamples) 95 % CI: D {b['disentanglement']['ci95'][0]:.4f}.."
                     f"{b['disentanglement']['ci95'][1]:.4f}, C {b['completeness']['ci95'][0]:.4f}.."
                     f"{b['completeness']['ci95'][1]:.4f}")
    lines.append(f"  {'factor':<12} {'train acc':>9} {'test acc':>9} {'C_j':>7} {'weight':>7}")
    for j, name in enumerate(r.factor_names):
        test = "n/a" if r.test_accuracy is None else f"{r.test_accuracy[j]:.4f}"
        lines.append(f"  {name:<12} {r.train_accuracy[j]:>9.4f} {test:>9} {r.scores.per_factor[j]:>7.4f} {r.scores.factor_weights[j]:>7.4f}")
    return "\n".join(lines)


def demo_summary(r) -> str:
    """Where the demo put everything, with its headline numbers."""
    row = r.study.summary
    report = r.study.report.parent
    return "\n".join([
        training_summary(r.training),
        traverse_summary(r.study.traverse),
        "DCI Metrics (the article's simplified scores, label factor)",
        f"- Informativeness (accuracy): {row['article_informativeness']:.4f}",
        f"- Disentanglement: {row['article_disentanglement']:.4f}",
        f"- Completeness: {row['article_completeness']:.4f}",
        f"Paper DCI with one-hot classes: D {row['disentanglement']:.4f}, C {row['completeness']:.4f}, "
        f"I held-out {row['informativeness_test']:.4f}",
        f"roles: mean consistency {row['mean_consistency']:.2f}, identity share {row['identity_share']:.2f}, "
        f"no-effect share {row['no_effect_share']:.2f}",
        f"report:  {report / 'report.md'} (figures in {report / 'figures'})",
        f"store:   {r.study.traverse.store}",
        *_demo_ranges(r),
        f"done in {r.seconds:.1f} s; everything is in {r.directory.resolve()}",
    ])


def _demo_ranges(r) -> list[str]:
    """Which range the demo's main report uses, and where the article's fixed range went (with its range check)."""
    if getattr(r, "fixed", None) is None:
        return []
    row, fixed = r.fixed.summary, r.fixed.report.parent
    why = (r.range_warnings[0] if r.range_warnings else "the fixed range -3..3 covers at least +-0.5 std of every "
           "dimension's codes, so both reports are meaningful")
    return [f"range: the main report above uses the sigma range (each dimension's code mean +-3 std); {why}",
            f"the article's fixed range -3..3: roles: mean consistency {row['mean_consistency']:.2f}, identity share "
            f"{row['identity_share']:.2f}, no-effect share {row['no_effect_share']:.2f}; report {fixed / 'report.md'}"]


def metrics_table(r) -> str:
    """The metrics of ``latentnav metrics``: one row per value, with the points and seconds."""
    source = r.source
    lines = [f"Disentanglement metrics of {source['model']['kind']} on {source['dataset']} {source['split']} "
             f"(n_train {r.n_train}, n_test {r.n_test}, seed {source['seed']}; factors {', '.join(source['factors'])})",
             f"  {'metric':<52} {'value':>10}"]
    lines += [f"  {name:<52} {value:>10.4f}" for name, value in r.values.items()]
    lines.append("  seconds: " + ", ".join(f"{name} {sec:.2f}" for name, sec in r.seconds.items()))
    return "\n".join(lines)

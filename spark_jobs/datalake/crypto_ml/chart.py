"""The model comparison chart: one group of bars per metric, one bar per model, the best model marked.

matplotlib is not in Glue's runtime: the DAG passes it with `--additional-python-modules`.
"""

from __future__ import annotations

import io

METRIC_LABELS = {"accuracy": "Accuracy", "precision": "Precision (up)", "recall": "Recall (up)",
                 "f1": "F1 (up)", "roc_auc": "ROC AUC"}  # fmt: skip
COLORS = ("#4C72B0", "#55A868", "#C44E52", "#8C8C8C")


def model_comparison_png(metrics: dict) -> bytes:
    """The PNG of a `metrics.json` document."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on Glue or in CI
    from matplotlib import pyplot as plt

    models, best, split = metrics["models"], metrics["best_model"], metrics["split"]
    names = list(models)
    width = 0.8 / len(names)
    figure, axes = plt.subplots(figsize=(10, 5.5), dpi=100)
    for index, name in enumerate(names):
        values = [models[name][metric] for metric in METRIC_LABELS]
        offsets = [position + (index - (len(names) - 1) / 2) * width for position in range(len(METRIC_LABELS))]
        label = f"{name} (best)" if name == best else name
        bars = axes.bar(offsets, values, width, label=label, color=COLORS[index % len(COLORS)],
                        edgecolor="black" if name == best else "none", linewidth=1.5)  # fmt: skip
        axes.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    axes.axhline(0.5, color="grey", linestyle=":", linewidth=1)  # a coin flip's ROC AUC
    axes.set_xticks(range(len(METRIC_LABELS)), list(METRIC_LABELS.values()))
    axes.set_ylim(0, 1.08)
    axes.set_ylabel("score on the test set")
    axes.set_title(
        f"crypto_ml run {metrics['run_id']}: best {best} (ROC AUC {models[best]['roc_auc']:.3f})\n"
        f"train {split['train_start_date']} to {split['train_end_date']} ({split['train_rows']} rows), "
        f"test {split['test_start_date']} to {split['test_end_date']} ({split['test_rows']} rows)",
        fontsize=10,
    )
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(names), fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})  # no version stamp: same run, same bytes
    plt.close(figure)
    return buffer.getvalue()

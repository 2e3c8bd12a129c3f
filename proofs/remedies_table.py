"""The paper's table of the remedies' configurations: one row per configuration, the protocol's depths as columns.

``depth_table`` returns the ``numbers["paper_table"]`` the LaTeX writer sets (proofs.export.latex_tables), one column
wide: per configuration the median test accuracy at its chosen learning rate (diverged seeds, counted as chance,
named) and a ratio of gradient norms at each depth. Every number comes from the claim's rows; the detail (the seeds'
range and mean field's prediction, both in the figures; the chosen rate; the averaged ratio; after training) stays in
results.json and REPORT.md.
"""

from __future__ import annotations

__all__ = ["depth_table", "accuracy_cell"]


def accuracy_cell(r: dict) -> str:
    """Median test accuracy in percent, and the seeds that diverged."""
    return f"{100 * r['test']:.1f}" + (f" ({r['diverged']}/{r['seeds']} div.)" if r["diverged"] else "")


def depth_table(depths, configs: list, rows: dict, ratios: dict, ratio_title: str, caption: str) -> dict:
    """Returns the table {"columns", "groups", "rows", "caption"}.

    ``configs``: [(key, label)]; ``rows[key][depth]``: a row of ``remedies_run.summary``; ``ratios[key][depth]``: the
    ratio; ``ratio_title``: the heading over the ratio's columns (LaTeX text with $...$).
    """
    n = len(depths)
    heads = [rf"$H{{=}}{h}$" for h in depths]  # no space around "=": a narrow column's heading
    table_rows = [[label] + [accuracy_cell(rows[key][h]) for h in depths]
                  + [f"{ratios[key][h]:.3g}" for h in depths] for key, label in configs]
    return {"columns": ["Configuration"] + heads + heads,
            "groups": [["", 1], ["Accuracy (%)", n], [ratio_title, n]], "rows": table_rows, "caption": caption}

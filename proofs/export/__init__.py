"""Writing a run's records: results.json (and its schema), REPORT.md, the LaTeX bundle, the output folder."""

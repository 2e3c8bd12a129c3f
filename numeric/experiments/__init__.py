"""The experiments: their protocols as data, the runs that measure what a claim judges, mean field's numbers."""

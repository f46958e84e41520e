"""Evaluation, all of its math: windows, clip-level aggregation, threshold choice, the per-class formulas
(:mod:`~irbench.evaluation.metrics`), what each metric is called and which direction is better
(:mod:`~irbench.evaluation.metric_registry`), and both bootstrap engines: a record's interval
(:mod:`~irbench.evaluation.bootstrap`) and the report's vectorised paired comparison
(:mod:`~irbench.evaluation.resampling`)."""

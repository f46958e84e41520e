"""Evaluation protocols: windowing, clip-level aggregation, threshold choice and metrics."""

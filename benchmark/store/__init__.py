"""Run outputs and the record store: run records (the one strict, migrating reader), their typed parts,
per-clip predictions files, atomic writes, and the results table (``Results``, ``load_results``)."""

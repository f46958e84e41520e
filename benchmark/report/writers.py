"""The table formats' writers: ``OUT/leaderboard.md``, ``.tex`` and ``.csv`` (written atomically); each is
``writer(boards, n_records, out_dir) -> path``."""

from __future__ import annotations

from irbench.report.latex import latex
from irbench.report.tables import markdown, to_csv, write_table

write_markdown = write_table(markdown, "md")
write_latex = write_table(latex, "tex")
write_csv = write_table(to_csv, "csv")

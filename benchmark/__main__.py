"""``python -m irbench``: the same command line as the ``irbench`` script."""

from irbench.cli import main

main()

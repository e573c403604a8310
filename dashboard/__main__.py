"""``python -m dashboard``: the same as the ``meshlens`` command."""

from dashboard.cli import main

main(prog_name="meshlens")

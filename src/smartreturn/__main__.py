"""``python -m smartreturn`` == the ``smartreturn`` command."""

from smartreturn.cli import main

main()

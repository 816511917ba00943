"""``python -m topolayer ...``: the same command line as the ``topolayer`` script."""

from .cli import main

raise SystemExit(main())

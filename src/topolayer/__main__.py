"""``python -m topolayer ...`` is the ``topolayer`` command line."""

from .cli import main

raise SystemExit(main())

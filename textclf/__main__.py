"""Entry point of `python -m textclf`."""

import sys

from textclf.cli import main

sys.exit(main())

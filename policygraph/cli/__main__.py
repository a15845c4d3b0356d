"""`python -m policygraph.cli ...` is the `policygraph` command."""

import sys

from policygraph.cli.main import main

sys.exit(main())

"""The bundle's entry point: the `llamadesk` command, frozen.

`freeze_support()` comes before any llamadesk import: a model worker process
(multiprocessing spawn) starts this same executable, and it must turn into the
worker at once, without importing the app, Kivy or the plugins first.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()

    from llamadesk.cli.main import main

    sys.exit(main())

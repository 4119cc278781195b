"""cnrp-bot: answers questions about the Cambodia National Rescue Party from a cited fact base."""

import os

from bot.core.config import BLAS_THREADS

# Read by OpenBLAS once, when numpy first loads; every entry point imports this package first.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(BLAS_THREADS))

"""Customer 360 loader: lands the nine extracts in the lake and loads the raw tables."""

import os

__version__ = "0.1.0"


def two_workers() -> int:
    """Threads for work that overlaps Python with code releasing the GIL (digests, DuckDB
    scans): two, or one on a one-core machine."""
    return max(1, min(2, os.cpu_count() or 1))

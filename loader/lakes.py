"""Which lake a URL names: a local folder (:class:`loader.lake.LocalLake`) or Azure Blob
Storage / ADLS Gen2 (:class:`loader.azure_lake.AzureLake`).

The one place that knows both implementations, so that :mod:`loader.lake` (the
interface and the local folder) and :mod:`loader.azure_lake` (which builds on it) do not
import each other.
"""

from __future__ import annotations

from pathlib import Path

from loader.errors import LoaderError
from loader.lake import Lake, LocalLake


def open_lake(url: str) -> Lake:
    """The lake named by ``url``: a folder path, or ``az://<container>/<prefix>``."""
    if url.startswith("az://") or url.startswith("abfs://") or url.startswith("abfss://"):
        from loader.azure_lake import AzureLake  # imported only when used

        return AzureLake.from_url(url)
    if "://" in url:
        raise LoaderError(f"C360_LAKE={url!r}: use a folder path or az://<container>/<prefix>")
    return LocalLake(Path(url))

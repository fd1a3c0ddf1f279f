"""Customer 360 loader: lands the nine extracts in the lake and loads the raw tables."""

__version__ = "0.1.0"

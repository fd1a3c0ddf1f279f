"""The Customer 360 benchmark: ``python -m bench.run`` (``make bench``). See bench/README.md."""

"""`scripts/bench`: measures the service as deployed; see `python -m benchmark --help`."""

pip install ".[batch]"   # Parquet output (pyarrow)
pip install ".[ray]"     # the Ray engine (Ray Data; includes pyarrow)

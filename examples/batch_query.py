"""Read the data set of ``fer-sdk batch`` with pandas and with DuckDB.

python examples/batch_query.py results
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

out = Path(sys.argv[1] if len(sys.argv) > 1 else "results")

# pandas (pyarrow underneath) reads a folder of Parquet parts as one table
faces = pd.read_parquet(out / "faces")
sources = pd.read_parquet(out / "sources")
print(f"{len(faces)} faces in {len(sources)} sources")
print(faces.groupby("emotion").size().to_string())
print(sources[["source", "status", "faces", "error"]].to_string(index=False))

# DuckDB queries the same files with SQL, without loading them first
top = duckdb.sql(
    f"""
    SELECT source, frame, emotion, round(confidence, 2) AS confidence
    FROM read_parquet('{out}/faces/*.parquet')
    ORDER BY confidence DESC
    LIMIT 3
    """
)
print(top)

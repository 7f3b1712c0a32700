"""The hand-off between extraction and loading: one Parquet file per raw table and
document, at a location that is a setting (a folder, or any fsspec URL such as
s3://bucket/prefix when extraction runs on other machines)."""

from __future__ import annotations

import os

import duckdb
import fsspec
import pandas as pd
from fsspec.implementations.local import LocalFileSystem


def _location(url: str, document_id: str) -> tuple[fsspec.AbstractFileSystem, str, str]:
    """The filesystem, its path of the document's folder, and the form DuckDB reads."""
    fs, root = fsspec.core.url_to_fs(url)
    folder = f"{root.rstrip('/')}/{document_id}"
    duckdb_folder = folder if isinstance(fs, LocalFileSystem) else f"{fs.protocol[0] if isinstance(fs.protocol, tuple) else fs.protocol}://{folder}"
    return fs, folder, duckdb_folder


def _connection(fs: fsspec.AbstractFileSystem) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()  # in memory: only moves frames to and from Parquet
    if not isinstance(fs, LocalFileSystem):
        conn.register_filesystem(fs)
    return conn


def write_handoff(frames: dict[str, pd.DataFrame], document_id: str, url: str) -> str:
    """Write every frame as Parquet under url/document_id/; returns that folder."""
    fs, folder, duckdb_folder = _location(url, document_id)
    fs.makedirs(folder, exist_ok=True)
    # Written under a name of this process, then moved: a concurrent load of the same
    # document never reads a half-written file.
    partial = f"partial-{os.getpid()}"
    with _connection(fs) as conn:
        for name, frame in frames.items():
            conn.register("frame", frame)
            conn.execute(f"COPY (SELECT * FROM frame) TO '{duckdb_folder}/{name}.{partial}' (FORMAT parquet)")
            conn.unregister("frame")
    for name in frames:
        fs.mv(f"{folder}/{name}.{partial}", f"{folder}/{name}.parquet")
    return f"{url.rstrip('/')}/{document_id}"


def read_handoff(document_id: str, url: str, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    fs, folder, duckdb_folder = _location(url, document_id)
    with _connection(fs) as conn:
        return {name: conn.execute(f"SELECT * FROM read_parquet('{duckdb_folder}/{name}.parquet')").df() for name in names}

"""The hand-off between extraction and loading, at a location that is a setting (a
folder, or any fsspec URL such as s3://bucket/prefix when extraction runs on other
machines). Per document, either one Parquet file per raw table or, for a PDF that
extraction refused, refusal.json: the loader, the one writer of the warehouse, records
both, so extraction never needs to reach the warehouse.

manifest.json, written last, lists each Parquet file's sha256: the loader reads a
hand-off only whole and unchanged (a file cut short by a full disk, damaged in transit,
or left from another staging is `HandoffDamaged`, and the loader stages it again)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass

import duckdb
import fsspec
import pandas as pd
from fsspec.implementations.local import LocalFileSystem

REFUSAL_FILE = "refusal.json"
MANIFEST_FILE = "manifest.json"


class HandoffDamaged(Exception):
    """A hand-off that cannot be trusted; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Refusal:
    """Why extraction refused a PDF: a row of raw.load_errors once the loader records it."""

    source_file: str
    sha256: str | None
    kind: str  # raw.load_errors.error_kind
    message: str  # names the file and the reason


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


def _partial_name() -> str:
    # Files are written under a name of this process, then moved: a concurrent load of
    # the same document never reads a half-written file, and an extraction retried after
    # its worker died never leaves one.
    return f"partial-{os.getpid()}"


def write_handoff(frames: dict[str, pd.DataFrame], document_id: str, url: str) -> str:
    """Write every frame as Parquet under url/document_id/; returns that folder."""
    fs, folder, duckdb_folder = _location(url, document_id)
    fs.makedirs(folder, exist_ok=True)
    partial = _partial_name()
    with _connection(fs) as conn:
        for name, frame in frames.items():
            conn.register("frame", frame)
            conn.execute(f"COPY (SELECT * FROM frame) TO '{duckdb_folder}/{name}.{partial}' (FORMAT parquet)")
            conn.unregister("frame")
    digests = {name: _sha256(fs, f"{folder}/{name}.{partial}") for name in frames}
    for name in frames:
        fs.mv(f"{folder}/{name}.{partial}", f"{folder}/{name}.parquet")
    # The same content staged before under other settings (a page limit) may have been refused.
    if fs.exists(f"{folder}/{REFUSAL_FILE}"):
        fs.rm(f"{folder}/{REFUSAL_FILE}")
    _write_json(fs, f"{folder}/{MANIFEST_FILE}", {"sha256": digests})
    return f"{url.rstrip('/')}/{document_id}"


def _sha256(fs: fsspec.AbstractFileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as found:
        for chunk in iter(lambda: found.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(fs: fsspec.AbstractFileSystem, path: str, data: dict) -> None:
    """Written under a name of this process, then moved into place: never read half-written."""
    partial = f"{path}.{_partial_name()}"
    with fs.open(partial, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
    fs.mv(partial, path)


def write_refusal(refusal: Refusal, document_id: str, url: str) -> str:
    """Leave the refusal for the loader under url/document_id/; returns that folder.
    A refusal there wins over Parquet of an earlier staging of the same content."""
    fs, folder, _ = _location(url, document_id)
    fs.makedirs(folder, exist_ok=True)
    _write_json(fs, f"{folder}/{REFUSAL_FILE}", asdict(refusal))
    return f"{url.rstrip('/')}/{document_id}"


def read_refusal(document_id: str, url: str) -> Refusal | None:
    fs, folder, _ = _location(url, document_id)
    try:
        with fs.open(f"{folder}/{REFUSAL_FILE}", "r", encoding="utf-8") as found:
            return Refusal(**json.load(found))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError) as error:
        raise HandoffDamaged(f"{folder}/{REFUSAL_FILE} is not a whole refusal ({type(error).__name__})") from error


def read_handoff(document_id: str, url: str, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The staged frames, each checked against the manifest's digest first."""
    fs, folder, duckdb_folder = _location(url, document_id)
    try:
        with fs.open(f"{folder}/{MANIFEST_FILE}", "r", encoding="utf-8") as found:
            digests = json.load(found)["sha256"]
    except FileNotFoundError as error:
        raise HandoffDamaged(f"{folder}: no {MANIFEST_FILE} (staging did not finish)") from error
    except (ValueError, KeyError, TypeError) as error:
        raise HandoffDamaged(f"{folder}/{MANIFEST_FILE} is not a whole manifest") from error
    for name in names:
        path = f"{folder}/{name}.parquet"
        if name not in digests or not fs.exists(path):
            raise HandoffDamaged(f"{path} is missing")
        if _sha256(fs, path) != digests[name]:
            raise HandoffDamaged(f"{path} is not the file staging wrote (its sha256 differs)")
    with _connection(fs) as conn:
        return {name: conn.execute(f"SELECT * FROM read_parquet('{duckdb_folder}/{name}.parquet')").df() for name in names}

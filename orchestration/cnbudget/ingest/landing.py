"""The landing folder and the document ids of the PDFs in it."""

from __future__ import annotations

from pathlib import Path

from cnbudget.extract.document import document_id_for, sha256_of


def pdf_files(paths: list[Path]) -> list[Path]:
    """The PDFs named, and those below the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf"))
        else:
            found.append(path)
    return found


def document_id_of(path: Path) -> str:
    return document_id_for(sha256_of(path))


def find_in_landing(document_id: str, landing_dir: Path) -> Path:
    """The landed PDF whose content has this id (a partition names content, not a path)."""
    for path in pdf_files([landing_dir]):
        if document_id_of(path) == document_id:
            return path
    raise FileNotFoundError(f"no PDF with document id {document_id} in {landing_dir}")

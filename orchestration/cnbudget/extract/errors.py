"""Why a PDF was refused: one exception, a machine-readable kind and a message for people."""

from __future__ import annotations

import traceback
from pathlib import Path


class DocumentError(Exception):
    """A PDF that cannot be loaded. The message names the file and the reason in words a
    user can act on; `kind` is what raw.load_errors records."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def internal_error(
    path: Path | str, stage: str, error: BaseException,
    consequence: str = "the file's other outcome is unknown, the rest of the batch goes on",
) -> DocumentError:
    """An unexpected exception while handling one file (a bug in cnbudget, not the file's
    fault), as an error naming the file, the stage and where in cnbudget it happened."""
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames) if "cnbudget" in f.filename), "")
    return DocumentError(
        "internal_error",
        f"{Path(path).name}: cnbudget failed during {stage} ({type(error).__name__}: {error}"
        + (f", at {where})" if where else ")")
        + f"; {consequence}",
    )

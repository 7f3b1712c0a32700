"""Why a PDF was refused: one exception, a machine-readable kind and a message for people."""

from __future__ import annotations


class DocumentError(Exception):
    """A PDF that cannot be loaded. The message names the file and the reason in words a
    user can act on; `kind` is what raw.load_errors records."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind

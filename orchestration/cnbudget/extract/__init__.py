"""From a budget PDF to tables of printed cells: small steps, each testable alone.

pages (pypdfium2 text) -> table locations (titles, units) -> grids (camelot lattice)
-> table instances (headers, continuations, rows) -> an ExtractedDocument.
"""

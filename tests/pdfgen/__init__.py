"""Test PDF generator: draws ground-truth budget specs as published PDFs.

See ``tests/pdfgen/render_budget.py`` for the layout and the spec options.
"""


def __getattr__(name):  # lazy, so `python -m tests.pdfgen.render_budget` runs cleanly
    if name in ("load_spec", "render_document"):
        from . import render_budget

        return getattr(render_budget, name)
    raise AttributeError(name)


__all__ = ["load_spec", "render_document"]

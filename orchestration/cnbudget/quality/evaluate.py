"""Every instance of every catalogue identity on the printed documents.

An instance is one checked figure (the actual side: a row's total, a parent row, a
line, a figure of one table) against what the rest of the document says it must be
(the expected side), in one amount column. Each identity kind of the catalogue is one
function (sum_identities.py, match_identities.py, code_note_identities.py,
carry_over_identities.py), dispatched
here by the identity's kind; they share the selection of columns and rows, the tolerance rule and
the way an instance is recorded. Where an identity cannot be evaluated (a table or
column not printed, a table printed empty, a precondition not met) the result is a
NotApplicable with the reason, never a pass. The verdict on each instance is Great
Expectations' (validate.py); this module only lays out both sides, with what
instances.py provides.
"""

from __future__ import annotations

from cnbudget.quality.carry_over_identities import carry_over_instances
from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.code_note_identities import code_parent_instances, empty_note_instances
from cnbudget.quality.instances import DocumentContext, Result
from cnbudget.quality.match_identities import match_instances
from cnbudget.quality.printed import PrintedDocument
from cnbudget.quality.sum_identities import (hierarchy_instances, row_instances, summary_lines_instances,
                                             total_of_lines_instances, total_row_instances)


_EVALUATORS = {
    "row": row_instances,
    "hierarchy": hierarchy_instances,
    "total_row": total_row_instances,
    "total_of_lines": total_of_lines_instances,
    "summary_lines": summary_lines_instances,
    "match": match_instances,
    "code_parent": code_parent_instances,
    "empty_note": empty_note_instances,
    "carry_over": carry_over_instances,
}


def evaluate_document(document: PrintedDocument, catalogue: Catalogue) -> list[Result]:
    ctx = DocumentContext(document, catalogue)
    results: list[Result] = []
    for identity in catalogue.table_identities:
        if identity.phase != document.phase:
            continue  # a 决算's identities say nothing of a budget, nor the reverse
        results.extend(_EVALUATORS[identity.kind](ctx, identity))
    return results

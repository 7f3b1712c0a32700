"""The identity catalogue in expectations/identities.yml."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from cnbudget import settings

CATALOGUE_FILE = settings.EXPECTATIONS_DIR / "identities.yml"


@dataclass(frozen=True)
class Identity:
    id: str
    kind: str
    description_zh: str
    description_en: str
    table_kind: str
    total_column: str
    addend_columns: tuple[str, ...]
    severity: str
    families: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    identities: tuple[Identity, ...]
    tolerance_per_addend: dict[str, Decimal]  # printed unit -> tolerance in that unit


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    identities = tuple(
        Identity(
            id=i["id"],
            kind=i["kind"],
            description_zh=i["description_zh"],
            description_en=i["description_en"],
            table_kind=i["table_kind"],
            total_column=i["total_column"],
            addend_columns=tuple(i["addend_columns"]),
            severity=i.get("severity", "ERROR"),
            families=tuple(i.get("families", [])),
        )
        for i in data["identities"]
    )
    tolerance = {unit: Decimal(str(v)) for unit, v in data["tolerance_per_addend"].items()}
    return Catalogue(identities, tolerance)

"""The nine extracts of CONTRACT.md section 1: file names, columns, keys and types.

The loader validates sources against these, the generator writes files that follow them,
and the tests use them as their reference. They are read from the dbt project's table
spec (``dbt_project.yml``, ``vars: tables``), where each table's facts are written once
and which the models read too (``macros/spec.sql``): adding a column is one edit there
(plus its docs). ``tests/test_spec.py`` checks the spec itself and that the sources' and
models' YAML list its columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: The dbt project whose ``vars: tables`` states the extracts (the repository's: the
#: loader runs from it, installed with ``pip install -e .``).
SPEC_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"

# Every loader command reads the spec when it starts: libyaml's parser where PyYAML has it
# (3 ms here, the pure-Python one 17 ms), the same YAML either way.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Column:
    """One column of an extract, as its header names it and as the warehouse names it."""

    header: str  # as in the seed's CSV header, e.g. ``CustomerID``
    name: str  # raw column name, lower snake case, e.g. ``customer_id``
    type: str  # int | decimal | datetime | date | text
    length: int | None = None  # declared VARCHAR length for text columns


@dataclass(frozen=True)
class ForeignKey:
    column: str  # raw column name in this table
    parent: str  # parent table name, e.g. ``customers``
    parent_column: str  # parent's raw column name


@dataclass(frozen=True)
class Extract:
    """One of the nine CSV files and the raw table it loads."""

    file: str  # file name in a source folder, e.g. ``Customers.csv``
    table: str  # raw / silver table name, e.g. ``customers``
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]  # raw column names
    foreign_keys: tuple[ForeignKey, ...] = field(default=())

    @property
    def source_table(self) -> str:
        """The file's base name, as ``audit.rejected_rows.source_table`` records it."""
        return self.file.removesuffix(".csv")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


def load_extracts(spec_file: Path = SPEC_FILE) -> tuple[Extract, ...]:
    """The extracts of a dbt project's table spec, in its order (parents first), with the
    raw layer's column names: a column's ``raw`` name where the spec gives one (the staged
    ``ordered_at`` is the raw ``date_time``), else its ``name``."""
    try:
        project = yaml.load(spec_file.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        tables = project["vars"]["tables"]
    except (OSError, KeyError, TypeError) as e:
        raise RuntimeError(
            f"{spec_file}: cannot read the table spec (vars: tables) the loader takes the "
            f"extracts from ({e}); run the loader from the repository, installed with "
            "pip install -e ."
        ) from e

    def raw(table: str, name: str) -> str:
        (column,) = [c for c in tables[table]["columns"] if c["name"] == name]
        return column.get("raw", column["name"])

    return tuple(
        Extract(
            spec["file"],
            table,
            tuple(
                Column(c["header"], c.get("raw", c["name"]), c["kind"], c.get("length"))
                for c in spec["columns"]
            ),
            tuple(raw(table, k) for k in spec["key"]),
            tuple(
                ForeignKey(
                    raw(table, r["column"]), r["parent"], raw(r["parent"], r["parent_column"])
                )
                for r in spec.get("references", [])
            ),
        )
        for table, spec in tables.items()
    )


EXTRACTS: tuple[Extract, ...] = load_extracts()

BY_TABLE: dict[str, Extract] = {e.table: e for e in EXTRACTS}
BY_FILE: dict[str, Extract] = {e.file: e for e in EXTRACTS}

# Lineage columns every raw table carries after the extract's own columns.
LINEAGE_COLUMNS: tuple[str, ...] = (
    "_source_file",
    "_source_row",
    "_load_id",
    "_loaded_at",
    "_lake_path",
)

# Reasons of CONTRACT.md section 2, in the order they are tested.
REJECTION_REASONS: tuple[str, ...] = (
    "malformed_line",
    "missing_key",
    "invalid_key",
    "invalid_value",
    "orphan_reference",
    "duplicate_superseded",
)

TIER_LEVELS: tuple[str, ...] = ("Bronze", "Silver", "Gold", "Platinum")

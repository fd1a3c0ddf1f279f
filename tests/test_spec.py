"""The table spec (dbt_project.yml, ``vars: tables``) against every other statement of the
nine extracts: the sources' YAML, the models' YAML and the model files; and the loader's
contract (``loader/contract.py``), which reads the spec. The dbt models read the spec
(macros/spec.sql); whatever cannot read it is checked here, so that a column added in
one place and not in the others fails a test.

Read from the files, no dbt run: fast.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from loader.contract import (
    EXTRACTS,
    LINEAGE_COLUMNS,
    Column,
    ForeignKey,
    load_extracts,
)

REPO = Path(__file__).resolve().parents[1]
KINDS = {"int", "decimal", "datetime", "date", "text"}


def load(path: str) -> dict:
    return yaml.safe_load((REPO / path).read_text(encoding="utf-8"))


SPEC: dict[str, dict] = load("dbt_project.yml")["vars"]["tables"]
TABLES = list(SPEC)


def snake_case(header: str) -> str:
    """``CustomerID`` -> ``customer_id``, ``DateTime`` -> ``date_time``: a raw column's
    name, from its header."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header.strip())
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def raw_name(column: dict) -> str:
    return column.get("raw", column["name"])


def raw_of(table: str, name: str) -> str:
    """The raw column name of a column of ``table``, as the spec names it once staged."""
    (column,) = [c for c in SPEC[table]["columns"] if c["name"] == name]
    return raw_name(column)


def names(table: str) -> list[str]:
    return [c["name"] for c in SPEC[table]["columns"]]


def yaml_columns(entry: dict) -> list[str]:
    """A YAML entry's column names, the lineage (leading underscore) left out."""
    return [c["name"] for c in entry.get("columns", []) if not c["name"].startswith("_")]


def by_name(entries: list[dict]) -> dict[str, dict]:
    return {e["name"]: e for e in entries}


# --- the spec itself ------------------------------------------------------------------------


def test_the_spec_states_nine_tables_parents_first():
    assert len(TABLES) == 9
    for position, table in enumerate(TABLES):
        for reference in SPEC[table].get("references", []):
            assert reference["parent"] in TABLES[:position], (table, reference)


@pytest.mark.parametrize("table", TABLES)
def test_each_table_spec_is_complete_and_consistent(table):
    spec = SPEC[table]
    assert set(spec) <= {"file", "key", "partition", "dist", "columns", "references"}, table
    columns = names(table)
    assert len(set(columns)) == len(columns), table
    assert len({raw_name(c) for c in spec["columns"]}) == len(columns), table
    for column in spec["columns"]:
        assert set(column) <= {"name", "raw", "header", "kind", "length"}, column
        assert column["kind"] in KINDS, column
        # a length for text, and text only
        assert ("length" in column) == (column["kind"] == "text"), column
        assert column.get("raw") != column["name"], column  # raw only when it differs
    assert spec["key"] and set(spec["key"]) <= set(columns), table
    partition = spec.get("partition", spec["key"][0])
    assert partition in spec["key"], table
    assert spec.get("partition") != spec["key"][0], table  # partition only when it differs
    # Synapse: the classified table hashed on the column its last-wins window partitions
    # on; silver either replicated (a dimension) or hashed on one of its columns.
    assert spec["dist"]["classified"] == f"HASH({partition})", table
    silver = spec["dist"]["silver"]
    assert silver == "REPLICATE" or silver.removeprefix("HASH(").removesuffix(")") in columns
    for reference in spec.get("references", []):
        assert reference["column"] in columns, reference
        assert SPEC[reference["parent"]]["key"] == [reference["parent_column"]], reference


# --- loader/contract.py, which reads the spec --------------------------------------------


def test_the_loader_contract_lists_the_spec_tables_in_its_order():
    assert [e.table for e in EXTRACTS] == TABLES


def test_a_column_added_to_the_spec_reaches_the_loader(tmp_path):
    """Adding a column is one edit (plus its docs): the loader's contract is read from
    the spec, raw names included (the staged `ordered_at` is the raw `date_time`)."""
    project = load("dbt_project.yml")
    project["vars"]["tables"]["stores"]["columns"].append(
        {"name": "phone", "header": "Phone", "kind": "text", "length": 20}
    )
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    stores = {e.table: e for e in load_extracts(tmp_path / "dbt_project.yml")}["stores"]
    assert stores.headers == ("StoreID", "Location", "Manager", "OpenHours", "Phone")
    assert stores.columns[-1] == Column("Phone", "phone", "text", 20)
    (online,) = [e for e in EXTRACTS if e.table == "online_transactions"]
    assert Column("DateTime", "date_time", "datetime") in online.columns
    with pytest.raises(RuntimeError, match="cannot read the table spec"):
        load_extracts(tmp_path / "missing.yml")


@pytest.mark.parametrize("extract", EXTRACTS, ids=lambda e: e.table)
def test_the_loader_contract_agrees_with_the_spec(extract):
    spec = SPEC[extract.table]
    assert extract.file == spec["file"]
    assert [(c.header, c.name, c.type, c.length) for c in extract.columns] == [
        (c["header"], raw_name(c), c["kind"], c.get("length")) for c in spec["columns"]
    ]
    assert all(snake_case(c["header"]) == raw_name(c) for c in spec["columns"])
    assert extract.primary_key == tuple(raw_of(extract.table, k) for k in spec["key"])
    assert extract.foreign_keys == tuple(
        ForeignKey(
            raw_of(extract.table, r["column"]),
            r["parent"],
            raw_of(r["parent"], r["parent_column"]),
        )
        for r in spec.get("references", [])
    )


# --- the YAML of the sources and the models -------------------------------------------------


def test_the_sources_list_the_spec_raw_columns():
    (retail,) = [s for s in load("models/staging/retail/_retail__sources.yml")["sources"]]
    tables = by_name(retail["tables"])
    assert set(TABLES) <= set(tables)
    for table in TABLES:
        columns = [c["name"] for c in tables[table]["columns"]]
        raw = [raw_name(c) for c in SPEC[table]["columns"]]
        assert columns == raw + list(LINEAGE_COLUMNS), table


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("models/staging/retail/_retail__models.yml", "stg_retail__{}"),
        ("models/intermediate/_intermediate__models.yml", "int_{}__classified"),
        ("models/silver/_silver__models.yml", "{}"),
    ],
)
def test_the_models_yaml_lists_the_spec_columns(path, model):
    models = by_name(load(path)["models"])
    for table in TABLES:
        assert yaml_columns(models[model.format(table)]) == names(table), (path, table)


# --- the models read it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "model", "call"),
    [
        ("models/staging/retail", "stg_retail__{}", "stage_records('{}')"),
        ("models/intermediate", "int_{}__classified", "classify_records('{}')"),
        ("models/silver", "{}", "silver_rows('{}')"),
    ],
)
def test_each_table_has_its_models_and_they_read_the_spec(folder, model, call):
    """One staging view, one classified model and one silver table per table of the
    spec, each the one macro call that reads the spec, and no model of a table the
    spec does not state."""
    prefix, suffix = model.split("{}")
    files = {
        p.stem
        for p in (REPO / folder).glob(f"{prefix}*{suffix}.sql")
        # the loader's own tables (malformed records, the ledger), not an extract's
        if p.stem not in ("stg_retail__malformed_records", "stg_retail__loads")
    }
    assert files == {model.format(t) for t in TABLES}, folder
    for table in TABLES:
        text = (REPO / folder / f"{model.format(table)}.sql").read_text(encoding="utf-8")
        assert call.format(table) in text, (folder, table)

"""The nine extracts of CONTRACT.md section 1: file names, columns, keys and types.

This module is the single Python statement of the input contract. The loader
validates sources against it, the generator writes files that follow it, and the
tests use it as their reference. The dbt project states the same facts once, in its
table spec (``dbt_project.yml``, ``vars: tables``, read by ``macros/spec.sql``);
``tests/test_spec.py`` checks that the two agree exactly (tables and their order, files,
columns with their headers, names, types and lengths, primary and foreign keys), and
that ``models/staging/retail/_retail__sources.yml`` lists the same columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


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


def _c(header: str, type_: str, length: int | None = None) -> Column:
    return Column(header, snake_case(header), type_, length)


def snake_case(header: str) -> str:
    """``CustomerID`` -> ``customer_id``, ``DateTime`` -> ``date_time``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header.strip())
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


EXTRACTS: tuple[Extract, ...] = (
    Extract(
        "Customers.csv",
        "customers",
        (
            _c("CustomerID", "int"),
            _c("Name", "text", 100),
            _c("Email", "text", 100),
            _c("Address", "text", 255),
        ),
        ("customer_id",),
    ),
    Extract(
        "Products.csv",
        "products",
        (
            _c("ProductID", "int"),
            _c("Name", "text", 100),
            _c("Category", "text", 50),
            _c("Price", "decimal"),
        ),
        ("product_id",),
    ),
    Extract(
        "Stores.csv",
        "stores",
        (
            _c("StoreID", "int"),
            _c("Location", "text", 100),
            _c("Manager", "text", 100),
            _c("OpenHours", "text", 50),
        ),
        ("store_id",),
    ),
    Extract(
        "Agents.csv",
        "agents",
        (
            _c("AgentID", "int"),
            _c("Name", "text", 100),
            _c("Department", "text", 50),
            _c("Shift", "text", 50),
        ),
        ("agent_id",),
    ),
    Extract(
        "OnlineTransactions.csv",
        "online_transactions",
        (
            _c("OrderID", "int"),
            _c("CustomerID", "int"),
            _c("ProductID", "int"),
            _c("DateTime", "datetime"),
            _c("PaymentMethod", "text", 50),
            _c("Amount", "decimal"),
            _c("Status", "text", 20),
        ),
        ("order_id",),
        (
            ForeignKey("customer_id", "customers", "customer_id"),
            ForeignKey("product_id", "products", "product_id"),
        ),
    ),
    Extract(
        "InStoreTransactions.csv",
        "instore_transactions",
        (
            _c("TransactionID", "int"),
            _c("CustomerID", "int"),
            _c("StoreID", "int"),
            _c("DateTime", "datetime"),
            _c("Amount", "decimal"),
            _c("PaymentMethod", "text", 50),
        ),
        ("transaction_id",),
        (
            ForeignKey("customer_id", "customers", "customer_id"),
            ForeignKey("store_id", "stores", "store_id"),
        ),
    ),
    Extract(
        "CustomerServiceInteractions.csv",
        "customer_service_interactions",
        (
            _c("InteractionID", "int"),
            _c("CustomerID", "int"),
            _c("DateTime", "datetime"),
            _c("AgentID", "int"),
            _c("IssueType", "text", 50),
            _c("ResolutionStatus", "text", 50),
        ),
        ("interaction_id",),
        (
            ForeignKey("customer_id", "customers", "customer_id"),
            ForeignKey("agent_id", "agents", "agent_id"),
        ),
    ),
    Extract(
        "LoyaltyAccounts.csv",
        "loyalty_accounts",
        (
            _c("LoyaltyID", "int"),
            _c("CustomerID", "int"),
            _c("PointsEarned", "int"),
            _c("TierLevel", "text", 20),
            _c("JoinDate", "date"),
        ),
        ("loyalty_id",),
        (ForeignKey("customer_id", "customers", "customer_id"),),
    ),
    Extract(
        "LoyaltyTransactions.csv",
        "loyalty_transactions",
        (
            _c("LoyaltyID", "int"),
            _c("DateTime", "datetime"),
            _c("PointsChange", "int"),
            _c("Reason", "text", 100),
        ),
        ("loyalty_id", "date_time"),
        (ForeignKey("loyalty_id", "loyalty_accounts", "loyalty_id"),),
    ),
)

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

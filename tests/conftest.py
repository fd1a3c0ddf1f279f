"""Shared pytest fixtures."""

from tests.azurite import azurite, azurite_own  # noqa: F401  (fixtures: Azurite for the lake)

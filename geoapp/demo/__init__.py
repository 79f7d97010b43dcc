"""Deterministic demo data shaped like the seed counties of ``shared/domain.md``."""

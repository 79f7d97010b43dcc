"""Accounts: who may see and change what (roles, jurisdictions, sessions and API tokens)."""

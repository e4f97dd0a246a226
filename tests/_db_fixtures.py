"""Database fixtures (owned by the schema work)."""

"""SQL: tables, migrations and every query, in one package."""

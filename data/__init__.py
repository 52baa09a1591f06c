"""Tightrope's edge: database, repositories, migrations, connectors, catalog and settings."""

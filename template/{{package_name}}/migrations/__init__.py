"""The database migrations (Alembic), and what the application checks of them."""

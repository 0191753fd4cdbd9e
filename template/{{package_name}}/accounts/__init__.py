"""User accounts beyond what FastAPI Users does: the database adapter, refused values, sign-in."""

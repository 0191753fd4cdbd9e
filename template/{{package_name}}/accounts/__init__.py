"""User accounts beyond what FastAPI Users does: values refused as taken, and sign-in."""

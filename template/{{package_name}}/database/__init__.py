"""The database beneath db.py: the engine, the values every DBMS stores, and its errors."""

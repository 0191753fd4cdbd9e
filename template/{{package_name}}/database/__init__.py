"""The database beneath db.py: the engine, the user adapter, the values every DBMS stores, and
its errors."""

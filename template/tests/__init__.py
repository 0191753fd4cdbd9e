"""The tests of the application: pytest runs them from the project's root."""

"""The template's own tooling, shared by its tests and its benchmark: driver facts, rendering,
database servers and the HTTP servers of generated projects."""

"""The API layer against the real test cluster."""

"""What the chapters call: checks, diagnosis, the dashboard, Rook, isolation, bundles."""

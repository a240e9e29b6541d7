"""What the chapters teach with, on a cluster given to them: checks, diagnosis, the dashboard,
Compose, isolation, the architecture picture, Rook, offline bundles."""

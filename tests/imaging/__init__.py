"""Images: Dockerfiles, builds, runs and pushes against the real Docker (and Podman)."""

"""Manifests without a cluster: loading, validating, safety, the corpus."""

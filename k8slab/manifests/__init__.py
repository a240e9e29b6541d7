"""Manifests, no cluster needed: read them (loading, parsing), make them ready for today's API
(preparing), check them before the server does (validating, safety).

`lab.manifests.load(path)` and `lab.manifests.clean(obj)` are the two a notebook calls."""

from k8slab.manifests.loading import clean, load

__all__ = ["clean", "load"]

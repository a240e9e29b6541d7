"""A workshop bundle: one file a teacher makes once with a network, and each laptop loads offline.

    k8slab bundle create workshop.tar   # the node image, the notebooks', Rook's and the Dashboard's images, the files
    k8slab bundle load workshop.tar     # checks every sha256 first; then Docker, the cluster, the kit's cache
"""

from k8slab.lessons.bundling.archive import BundleDamaged, Index, verify
from k8slab.lessons.bundling.loading import load
from k8slab.lessons.bundling.making import create

__all__ = ["create", "load", "verify", "Index", "BundleDamaged"]

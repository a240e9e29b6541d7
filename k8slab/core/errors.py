"""The kit's errors: one line that says what is wrong and what to do.

Only `k8slab.kube.client` turns the Kubernetes client's `ApiException` into these;
everything above it (CLI, notebooks, widgets) sees `K8sLabError` and nothing else.
"""

__all__ = [
    "K8sLabError",
    "ToolMissing",
    "ManifestError",
    "UnknownKind",
    "NotFound",
    "Forbidden",
    "Conflict",
    "Invalid",
    "WaitTimeout",
    "ClusterUnreachable",
    "DockerUnavailable",
    "ImageError",
    "ProviderError",
    "ToolFailed",
]


class K8sLabError(Exception):
    """Base class. `str(err)` is a single line fit to show a learner."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = " ".join(str(message).split())
        self.hint = " ".join(hint.split()) if hint else None
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ToolMissing(K8sLabError):
    """A command-line tool the kit needs (kind, kubectl, docker) is not on PATH."""


class ManifestError(K8sLabError):
    """The YAML does not parse, or an object lacks apiVersion, kind or metadata.name."""


class UnknownKind(K8sLabError):
    """The cluster does not serve this apiVersion/kind (a typo, or a CRD not installed)."""


class NotFound(K8sLabError):
    pass


class Forbidden(K8sLabError):
    pass


class Conflict(K8sLabError):
    pass


class Invalid(K8sLabError):
    """The API server refused the object as invalid (HTTP 422 or 400)."""


class WaitTimeout(K8sLabError):
    """A wait ran out of time; the message carries the last observed state and events."""


class ClusterUnreachable(K8sLabError):
    """No cluster answers at the kubeconfig's address (stopped, deleted, or never created)."""


class DockerUnavailable(K8sLabError):
    pass


class ImageError(K8sLabError):
    """An image cannot be built, pulled, pushed or loaded."""


class ProviderError(K8sLabError):
    pass


class ToolFailed(ProviderError):
    """A command-line tool exited non-zero, did not start, or did not finish in time (k8slab.tools)."""

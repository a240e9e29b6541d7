"""Credentials from the cluster: ServiceAccount tokens (TokenRequest) and Secret values.

Both come back as `Sensitive`, which never prints itself: a notebook that shows one by
accident saves a mask, not the credential. `.reveal()` gives the clear text on purpose.
Tokens are requested like `kubectl create token`: short-lived, bound to the ServiceAccount,
and never stored in a Secret (the guide's `describe secret` way ended with Kubernetes 1.24).
"""

from __future__ import annotations

import base64
import binascii

from kubernetes import client

from k8slab.core.errors import Forbidden, K8sLabError, NotFound
from k8slab.kube.client import Kube, translating

MASK = "••••••••"


class Sensitive:
    """A credential that shows only a mask in reprs, prints and notebook outputs."""

    __slots__ = ("_value", "label")

    def __init__(self, value: str, label: str = "secret"):
        self._value = value
        self.label = label

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"<{self.label}: {MASK} ({len(self._value)} characters; .reveal() shows it)>"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<code>{MASK}</code> <small>({self.label}, masked)</small>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Sensitive) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


def request_token(service_account: str, namespace: str, expiration_seconds: int = 3600,
                  audiences: list[str] | None = None, *, kube: Kube) -> Sensitive:
    """A token for a ServiceAccount through the TokenRequest API (`kubectl create token`)."""
    if expiration_seconds < 600:
        raise K8sLabError(f"a token must live at least 600 seconds, not {expiration_seconds}",
                          "the API server refuses shorter ones")
    body = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=list(audiences or []), expiration_seconds=expiration_seconds)
    )
    with translating(f"requesting a token for ServiceAccount {service_account} in {namespace}", kube):
        resp = kube.core.create_namespaced_service_account_token(service_account, namespace, body)
    return Sensitive(resp.status.token, f"token of {namespace}/{service_account}")


def secret_value(name: str, key: str, namespace: str, *, kube: Kube) -> Sensitive:
    """One key of a Secret, base64-decoded (`kubectl get secret -o jsonpath=... | base64 --decode`)."""
    with translating(f"reading Secret {name} in {namespace}", kube):
        secret = kube.core.read_namespaced_secret(name, namespace)
    data = secret.data or {}
    if key not in data:
        raise NotFound(f"Secret {name} in {namespace} has no key {key!r}", f"its keys: {', '.join(sorted(data)) or 'none'}")
    try:
        value = base64.b64decode(data[key], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise K8sLabError(f"Secret {name} key {key!r} is not base64-encoded UTF-8 text") from e
    return Sensitive(value, f"{key} of Secret {namespace}/{name}")


def _client_for(token: Sensitive | str, kube: Kube) -> client.ApiClient:
    """An API client that authenticates with `token` only (no client certificate)."""
    base = kube.api.configuration
    cfg = client.Configuration()
    cfg.host = base.host
    cfg.ssl_ca_cert = base.ssl_ca_cert
    cfg.verify_ssl = base.verify_ssl
    cfg.assert_hostname = base.assert_hostname
    cfg.tls_server_name = getattr(base, "tls_server_name", None)
    cfg.retries = 1
    value = token.reveal() if isinstance(token, Sensitive) else token
    cfg.api_key = {"authorization": f"Bearer {value}"}
    return client.ApiClient(cfg)


def whoami(token: Sensitive | str, *, kube: Kube) -> str:
    """The user the API server sees for `token` (a TokenReview); Forbidden if it does not authenticate."""
    value = token.reveal() if isinstance(token, Sensitive) else token
    review = client.V1TokenReview(spec=client.V1TokenReviewSpec(token=value))
    with translating("reviewing a token", kube):
        result = client.AuthenticationV1Api(kube.api).create_token_review(review)
    if not result.status.authenticated:
        raise Forbidden(f"the API server does not accept this token: {result.status.error or 'not authenticated'}",
                        "request a fresh one")
    return result.status.user.username


def can_i(token: Sensitive | str, verb: str, resource: str, namespace: str | None = None, *, kube: Kube) -> bool:
    """`kubectl auth can-i VERB RESOURCE --token=...`: asked with the token itself (a SelfSubjectAccessReview)."""
    api = _client_for(token, kube)
    review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(verb=verb, resource=resource, namespace=namespace)))
    try:
        with translating(f"asking whether the token may {verb} {resource}", kube):
            result = client.AuthorizationV1Api(api).create_self_subject_access_review(review)
    except Forbidden as e:  # 401: the token itself was refused
        raise Forbidden("the API server does not accept this token", "request a fresh one") from e
    finally:
        api.close()
    return bool(result.status.allowed)

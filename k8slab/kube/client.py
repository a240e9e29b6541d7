"""The one place that talks to the Kubernetes API client and translates its errors."""

from __future__ import annotations

import functools
import json
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from k8slab.core.errors import ClusterUnreachable, Conflict, Forbidden, Invalid, K8sLabError, NotFound, UnknownKind

UNREACHABLE_HINT = "is the cluster running? `lab.status()` tells; `lab.up()` or `k8slab up` starts it"
_STATUS_ERRORS = {400: Invalid, 401: Forbidden, 403: Forbidden, 404: NotFound, 409: Conflict, 422: Invalid}


def _server_message(e: ApiException) -> str:
    try:
        body = json.loads(e.body)
        return body.get("message") or e.reason
    except (TypeError, ValueError):
        return (e.body or e.reason or "").strip() or f"HTTP {e.status}"


def translate(e: Exception, what: str, kube: "Kube | None" = None) -> K8sLabError:
    """The kit's one-line error for an exception raised by the client while doing `what`
    (on `kube`, whose provider can tell why its cluster does not answer)."""
    if isinstance(e, K8sLabError):
        return e
    if isinstance(e, ApiException) and e.status:
        return _answered(e, what)
    if isinstance(e, (urllib3.exceptions.HTTPError, OSError, ApiException)):
        if kube is not None:
            return kube.unreachable(what)
        return ClusterUnreachable(f"{what}: the cluster's API server does not answer", UNREACHABLE_HINT)
    return K8sLabError(f"{what}: {e}")


def _answered(e: ApiException, what: str) -> K8sLabError:
    """The error for an HTTP error status the API server answered with."""
    msg = _server_message(e)
    if e.status == 401:
        return Forbidden(f"{what}: the cluster rejected the kit's credentials", "the kubeconfig is stale; run `k8slab up` again")
    if e.status == 500 and "typed patch" in msg:  # server-side apply on 1.18-1.20 reports schema errors so
        return Invalid(f"{what}: {msg.removeprefix('failed to create typed patch object: ')}")
    if e.status == 409 and "conflict" in msg.lower() and "apply" in what:
        return Conflict(f"{what}: {msg}", "another field manager owns these fields")
    return _STATUS_ERRORS.get(e.status, K8sLabError)(f"{what}: {msg}")


@contextmanager
def translating(what: str, kube: "Kube | None" = None):
    """Run a block of client calls; any client error comes out as a one-line K8sLabError."""
    try:
        yield
    except K8sLabError:
        raise
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as e:
        raise translate(e, what, kube) from e


class Kube:
    """A connection to one cluster: an API client plus a lazily built dynamic client."""

    def __init__(self, kubeconfig: str | Path | None = None, context: str | None = None):
        self.kubeconfig = str(kubeconfig) if kubeconfig else None
        self.context = context
        cfg = client.Configuration()
        try:
            config.load_kube_config(config_file=self.kubeconfig, context=context, client_configuration=cfg)
        except (ConfigException, OSError, TypeError) as e:
            where = self.kubeconfig or "the default kubeconfig"
            raise ClusterUnreachable(f"cannot use {where}: {e}", "run `k8slab up`, or point K8SLAB_KUBECONFIG at a valid kubeconfig") from e
        cfg.retries = 1
        self.host = cfg.host
        self.api = client.ApiClient(cfg)
        self._dyn: DynamicClient | None = None
        self._lock = threading.Lock()
        # Set by the provider that made the cluster: why it does not answer (gone, stopped, its
        # API server down), as an error, or None when it cannot tell.
        self.explain: Callable[[], K8sLabError | None] | None = None

    def unreachable(self, what: str) -> ClusterUnreachable:
        """The one-line error for a request that got no answer: the provider's reason when it knows one."""
        try:
            reason = self.explain() if self.explain else None
        except Exception:  # a diagnosis must never hide the error it explains
            reason = None
        if reason is not None:
            return ClusterUnreachable(f"{what}: {reason.message}", reason.hint)
        return ClusterUnreachable(f"{what}: the cluster's API server at {self.host} does not answer", UNREACHABLE_HINT)

    @functools.cached_property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)  # built on first use: the typed APIs import hundreds of models

    @functools.cached_property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def dyn(self) -> DynamicClient:
        with self._lock:
            if self._dyn is None:
                with translating("discovering the cluster's API", self):
                    self._dyn = DynamicClient(self.api)
            return self._dyn

    def resource(self, api_version: str, kind: str):
        """The dynamic resource for apiVersion/kind; refreshes discovery once (a CRD may be new)."""
        for attempt in range(2):
            try:
                with translating(f"looking up {kind}", self):
                    res = self.dyn.resources.get(api_version=api_version, kind=kind)
                if res.group_version != api_version:  # "v1" finds apps/v1's Deployment: kubectl refuses it
                    raise ResourceNotFoundError(f"{kind} is served in {res.group_version}")
                return res
            except ResourceNotFoundError as e:
                if attempt:
                    with translating(f"looking up {kind}", self):
                        served = sorted({r.group_version for r in self.dyn.resources.search(kind=kind)})
                    hint = (f"this cluster serves {kind} as apiVersion {' or '.join(served)}" if served
                            else "check the spelling, or install the CRD that defines it first")
                    raise UnknownKind(f"the cluster does not know kind {kind!r} in apiVersion {api_version!r}", hint) from e
                self.dyn.resources.invalidate_cache()

    def readyz(self) -> str:
        """The API server's own readiness answer ("ok"), as `kubectl get --raw /readyz` shows it."""
        with translating("asking the API server /readyz", self):
            if hasattr(self.api, "param_serialize"):  # clients generated by openapi-generator 7 (kubernetes >= 33)
                request = self.api.param_serialize("GET", "/readyz", auth_settings=["BearerToken"])
                resp = self.api.call_api(*request, _request_timeout=15)
                resp.read()
                if resp.status != 200:
                    raise ApiException(status=resp.status, reason=resp.reason, http_resp=resp)
                return resp.data.decode()
            return self.api.call_api("/readyz", "GET", auth_settings=["BearerToken"], response_type="str",
                                     _return_http_data_only=True, _request_timeout=15)

    @functools.cached_property
    def minor_version(self) -> int:
        """The server's minor version (20 for v1.20.2), for behaviour that changed between releases."""
        return int("".join(ch for ch in self.version().split(".")[1] if ch.isdigit()))

    @functools.cached_property
    def server_version(self) -> str:
        """The server's version (v1.20.2), asked once per connection."""
        return self.version()

    def version(self) -> str:
        with translating("reading the server version", self):
            return client.VersionApi(self.api).get_code().git_version

    def close(self) -> None:
        self.api.close()

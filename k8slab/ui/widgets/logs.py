"""LogView: a pod's (or a Deployment's pods') log lines as they are written, in a bounded buffer."""

from __future__ import annotations

from collections import deque

from k8slab.core.errors import K8sLabError
from k8slab.kube.applying import get
from k8slab.kube.client import Kube
from k8slab.kube.watching import SYNCED, follow, follow_logs
from k8slab.manifests.loading import label_selector
from k8slab.ui.widgets.base import LiveWidget, esc


def _started(pod: dict) -> dict[str, str]:
    """container name -> containerID of the containers that run or ran (their logs can be read)."""
    out = {}
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        state = cs.get("state") or {}
        if (state.get("running") or state.get("terminated")) and cs.get("containerID"):
            out[cs["name"]] = cs["containerID"]
    return out


class LogView(LiveWidget):
    """`LogView("hello")` follows pod hello's logs; `LogView(deployment="web")` those of its pods.

    Keeps the last `max_lines` lines (`.lines`); a restarted container is followed again.
    `stop()` ends every stream at once.

    Used in chapters 06, 09.
    """

    def __init__(self, pod: str | None = None, namespace: str = "default", *, deployment: str | None = None,
                 container: str | None = None, max_lines: int = 500, tail: int | None = 100, kube: Kube, start: bool = True):
        if bool(pod) == bool(deployment):
            raise K8sLabError("LogView needs a pod or a deployment, not both or neither",
                              'e.g. LogView("hello") or LogView(deployment="web")')
        self.pod, self.deployment, self.namespace, self.container, self.tail = pod, deployment, namespace, container, tail
        self._lines: deque[tuple[str, str]] = deque(maxlen=max_lines)
        self._followed: set[str] = set()  # containerIDs already followed
        self._streams = 0
        self.total = 0
        super().__init__(start, kube=kube)

    @property
    def target(self) -> str:
        return f"pod/{self.pod}" if self.pod else f"deployment/{self.deployment}"

    @property
    def lines(self) -> list[str]:
        with self._cond:
            return [text for _, text in self._lines]

    def _workers(self):
        return [self._watch_pods]

    def _selector(self) -> str | None:
        if self.pod:
            return None
        dep = get("Deployment", self.deployment, self.namespace, api_version="apps/v1", kube=self._kube)
        labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        return label_selector(labels)

    def _watch_pods(self) -> None:
        selector = self._selector()
        for etype, pod in follow("v1", "Pod", self.namespace, selector, name=self.pod, stop=self._stop, kube=self._kube):
            if etype == SYNCED:
                self._ok()
                self._changed()
                continue
            if etype == "DELETED":
                continue
            for container, cid in _started(pod).items():
                if (self.container in (None, container)) and cid not in self._followed:
                    self._followed.add(cid)
                    self._spawn(self._follow, pod["metadata"]["name"], container, len(_started(pod)) > 1)

    def _follow(self, pod: str, container: str, several: bool) -> None:
        source = (pod if self.deployment else "") + (f"/{container}" if several else "")
        with self._cond:
            self._streams += 1
        try:
            for line in follow_logs(pod, self.namespace, container, stop=self._stop, tail=self.tail, kube=self._kube):
                with self._cond:
                    self._lines.append((source, line))
                    self.total += 1
                self._changed()
        except K8sLabError as e:  # a pod that went away: no retry, that would repeat the tail
            if not self._stop.is_set():
                self._fail(str(e))
        finally:
            with self._cond:
                self._streams -= 1
            self._changed()

    def _render(self) -> str:
        with self._cond:
            lines, streams = list(self._lines), self._streams
        state = f"following {streams} stream(s)" if streams else ("stopped" if self._stop.is_set() else "waiting for a running container")
        body = "\n".join((f'<span style="color:#1c7ed6">[{esc(src)}]</span> ' if src else "") + esc(text) for src, text in lines)
        return (f"<div><b>Logs</b> of {esc(self.target)} in {esc(self.namespace)}: {state}, {len(lines)} lines</div>"
                f'<pre style="max-height:300px;overflow:auto;font-size:12px;margin:0;display:flex;flex-direction:column-reverse">'
                f"<div>{body}</div></pre>")

    def _summary(self) -> str:
        state = f"{self._streams} stream(s)" if self._streams else "no stream"
        last = f"; last line: {self._lines[-1][1]!r}" if self._lines else ""
        return f"LogView {self.target} in {self.namespace}: {state}, {len(self._lines)} lines{last}"

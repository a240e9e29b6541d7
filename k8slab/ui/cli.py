"""The `k8slab` command: doctor, up, down, status, lab, build, load, bundle."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from k8slab.clusters import choosing as cluster
from k8slab.core.errors import K8sLabError


def _echo(line: str) -> None:
    click.echo(f"  {line}", err=True)


class KitGroup(click.Group):
    """Every K8sLabError becomes one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except K8sLabError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)


provider_option = click.option("--provider", "-p", default=None, help="kind (default), context or node; or K8SLAB_PROVIDER.")
name_option = click.option("--name", "cluster_name", default=None, help="Cluster name (default k8slab; or K8SLAB_CLUSTER).")


@click.group(cls=KitGroup)
def main():
    """A hands-on Kubernetes learning kit: a cluster, the guide's notebooks, live widgets."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def doctor(as_json):
    """Check Docker/Podman, kind, kubectl, the kubeconfig context, memory and disk."""
    from k8slab.core import config
    from k8slab.ui import doctor as doctoring

    checks = doctoring.run_checks(settings=config.load())
    click.echo(json.dumps(doctoring.as_dicts(checks), indent=2) if as_json else doctoring.report(checks))
    sys.exit(0 if doctoring.healthy(checks) else 1)


@main.command()
@provider_option
@name_option
@click.option("--mirror", "mirror", multiple=True, metavar="REGISTRY=URL",
              help="Pull REGISTRY's images (docker.io, quay.io, registry.k8s.io, ...) through the mirror at URL; "
                   "repeatable; or K8SLAB_MIRRORS, or `mirrors:` in the settings file.")
@click.option("--workers", type=int, default=None,
              help="kind: worker nodes beside the control plane (default 2; 0: one node); or K8SLAB_WORKERS.")
def up(provider, cluster_name, mirror, workers):
    """Create the cluster, or reuse it if it is there."""
    from k8slab.core import mirrors

    c = cluster.up(provider, progress=_echo, cluster_name=cluster_name, mirrors=mirrors.from_options(mirror),
                   workers=workers)
    click.echo(f"ready: {c.name} ({c.provider.name}) at {c.server}; kubeconfig {c.kubeconfig}")


@main.command()
@provider_option
@name_option
def down(provider, cluster_name):
    """Delete the kit's cluster and its kubeconfig."""
    cluster.down(provider, progress=_echo, cluster_name=cluster_name)


@main.command()
@provider_option
@name_option
@click.option("--json", "as_json", is_flag=True)
def status(provider, cluster_name, as_json):
    """Is the cluster there, and does it answer?"""
    info = cluster.status(provider, cluster_name=cluster_name)
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            click.echo(f"{key:>9}: {', '.join(value) if isinstance(value, list) else value}")
    sys.exit(0 if info["ready"] else 1)


@main.command()
@click.argument("path", default=None, required=False, type=click.Path(file_okay=False))
@click.option("--tag", "-t", default="hello", show_default=True)
@click.option("--base", default=None, help="Replace the Dockerfile's FROM image (default: as written, node:7).")
@click.option("--no-cache", is_flag=True)
def build(path, tag, base, no_cache):
    """Build an image (default: the guide's hello-world app) and show its layers."""
    from k8slab import imaging as images
    from k8slab.core import config

    args = {"path": Path(path)} if path else {}
    result = images.build(tag=tag, base=base, nocache=no_cache, progress=_echo, overrides=config.load().images, **args)
    click.echo(result.cache_summary())
    click.echo(images.layers_summary(result.image, result.dockerfile, result.base))


@main.command()
@click.argument("image")
@provider_option
@name_option
def load(image, provider, cluster_name):
    """Put a local image into the cluster's nodes; prints the name to use in manifests."""
    cluster.up(provider, progress=_echo, cluster_name=cluster_name)
    click.echo(cluster.load_image(image))


@main.group()
def bundle():
    """A workshop bundle: made once with a network, loaded on each laptop offline."""


@bundle.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
def bundle_create(file):
    """Write FILE: the kind node image, every image the notebooks, Rook and the Dashboard use, the pinned files."""
    from k8slab.core import config
    from k8slab.lessons.bundling import create, progress

    bar = progress.Bar()
    create(file, progress=bar.line, meter=bar.meter, settings=config.load())


@bundle.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--registry", default=None, metavar="HOST:PORT",
              help="Push the cluster's images to this registry (a classroom mirror) instead of the nodes.")
@provider_option
@name_option
def bundle_load(file, registry, provider, cluster_name):
    """Check every member of FILE, then load it: node image into Docker, images into the cluster, files into the cache."""
    from k8slab.core import config
    from k8slab.lessons.bundling import load, progress

    bar = progress.Bar()
    load(file, registry=registry, settings=config.load(provider=provider, cluster_name=cluster_name), progress=bar.line,
         meter=bar.meter)


def _notebooks_dir(given: str | None) -> Path:
    for candidate in (given, "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate).resolve()
    raise K8sLabError("cannot find the notebooks folder", "run from the k8slab checkout or pass --notebooks DIR")


@main.command()
@provider_option
@name_option
@click.option("--notebooks", default=None, help="Folder of notebooks (default: the checkout's notebooks/).")
@click.option("--port", default=8888, show_default=True)
@click.option("--no-browser", is_flag=True, help="Print JupyterLab's address instead of opening a browser (WSL, a remote machine).")
def lab(provider, cluster_name, notebooks, port, no_browser):
    """Bring the cluster up, then open JupyterLab on the notebooks (its terminals' kubectl talks to that cluster)."""
    folder = _notebooks_dir(notebooks)
    c = cluster.up(provider, progress=_echo, cluster_name=cluster_name)
    _echo(f"cluster {c.name} ready; starting JupyterLab on {folder}")
    env = dict(os.environ, K8SLAB_PROVIDER=c.provider.name, K8SLAB_CLUSTER=c.name, KUBECONFIG=str(c.kubeconfig))
    # Served from the folder above, so that the chapters' pictures (../assets/) load too.
    args = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder.parent}",
            f"--LabApp.default_url=/lab/tree/{folder.name}", f"--port={port}"]
    if no_browser:
        args.append("--no-browser")
    if getattr(os, "geteuid", lambda: -1)() == 0:
        _echo("warning: running as root, so JupyterLab gets --allow-root; a normal user account is safer")
        args.append("--allow-root")
    os.execve(sys.executable, args, env)


if __name__ == "__main__":
    main()

"""An image's layers, as `docker history` shows them, matched to its Dockerfile's lines."""

from __future__ import annotations

from pathlib import Path

from k8slab.imaging import dockerfile, records
from k8slab.imaging.engine import sdk, translating
from k8slab.imaging.records import Layer


def layers(image: str, dockerfile_text: str | Path | None = None, base: str | None = None) -> list[Layer]:
    """The image's layers, oldest first: size, instruction, Dockerfile line, shared with the base or not.

    `base` defaults to the nearest tagged image in the history (the FROM image, as built here);
    `dockerfile_text` (text or a path) gives the lines.
    """
    with translating(f"reading the history of {image}"):
        history = sdk().history(image)
        base = base or _base_of(history)
        base_entries = len(sdk().history(base)) if base else 0
    instructions = None
    if dockerfile_text is not None:
        is_path = isinstance(dockerfile_text, Path) or ("\n" not in dockerfile_text and Path(dockerfile_text).is_file())
        text = Path(dockerfile_text).read_text(encoding="utf-8") if is_path else str(dockerfile_text)
        instructions = dockerfile.parse(text)
    return records.from_history(history, base_entries, instructions)


def _base_of(history: list[dict]) -> str | None:
    top = history[0].get("Id") if history else None
    for entry in history[1:]:
        tags = [t for t in entry.get("Tags") or [] if t != "<none>:<none>"]
        if tags and entry.get("Id") != top:
            return tags[0]
    return None


def base_image(image: str) -> str | None:
    """The tagged image `image` was built FROM (the nearest tagged one in its history)."""
    with translating(f"reading the history of {image}"):
        return _base_of(sdk().history(image))


def layers_summary(image: str, dockerfile_text: str | Path | None = None, base: str | None = None) -> str:
    """`layers(...)` as a text table (no ids or dates, so saved outputs stay comparable).

    Used in chapter 05.
    """
    base = base or base_image(image)
    return records.summary(layers(image, dockerfile_text, base), image, base)

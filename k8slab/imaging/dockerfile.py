"""Dockerfiles and image references, without Docker: parse, check, rewrite FROM, pack a context.

Checking here first means a typo gets the file and line and a hint, not the daemon's
bare message; packing the context here shows the learner what is sent to the daemon
(the guide: the whole folder goes to the daemon, so keep it small).
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from k8slab.core.errors import ImageError

INSTRUCTIONS = (
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
)


@dataclass(frozen=True)
class Instruction:
    line: int  # where it starts, counting from 1
    keyword: str  # upper case: FROM, ADD, ...
    args: str

    def __str__(self) -> str:
        return f"{self.keyword} {self.args}"


def parse(text: str, source: str = "Dockerfile") -> list[Instruction]:
    """The instructions of a Dockerfile with their line numbers; an unknown one is an ImageError."""
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comments may sit inside a continued instruction
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1] if continued else stripped)
        if not continued:
            out.append(_instruction(start, " ".join(p.strip() for p in pending if p.strip()), source))
            pending = []
    if pending:  # the last line ends with a backslash
        out.append(_instruction(start, " ".join(p.strip() for p in pending if p.strip()), source))
    _check(out, source)
    return out


def _instruction(line: int, text: str, source: str) -> Instruction:
    keyword, _, args = text.partition(" ")
    keyword = keyword.upper()
    if keyword not in INSTRUCTIONS:
        raise ImageError(
            f"{source} line {line}: unknown instruction {keyword!r}",
            "instructions are FROM, ADD, COPY, RUN, ENTRYPOINT, CMD, ENV, EXPOSE, ...; a comment goes on its own line starting with #",
        )
    return Instruction(line, keyword, args.strip())


def _check(instructions: list[Instruction], source: str) -> None:
    if not instructions:
        raise ImageError(f"{source} has no instructions", "start it with FROM <base image>")
    first = next((i for i in instructions if i.keyword != "ARG"), None)
    if first is None or first.keyword != "FROM":
        where = f" line {first.line}" if first else ""
        raise ImageError(f"{source}{where}: the first instruction must be FROM", "e.g. FROM node:7")
    for i in instructions:
        if i.keyword == "FROM" and from_image(i) is None:
            raise ImageError(
                f"{source} line {i.line}: FROM takes one image (or IMAGE AS NAME), not {i.args!r}",
                "a # comment must go on its own line, not after an instruction",
            )


def from_image(instruction: Instruction) -> str | None:
    """The image of a FROM instruction (None when its arguments are not IMAGE [AS NAME])."""
    words = [w for w in instruction.args.split() if not w.startswith("--platform=")]
    if len(words) == 1 or (len(words) == 3 and words[1].upper() == "AS"):
        return words[0]
    return None


def bases(instructions: Iterable[Instruction]) -> list[str]:
    """The images FROM pulls (skipping `scratch` and earlier stages named with AS)."""
    stages: set[str] = set()
    out = []
    for i in instructions:
        if i.keyword != "FROM":
            continue
        image = from_image(i)
        words = i.args.split()
        if image and image != "scratch" and image.lower() not in stages and image not in out:
            out.append(image)
        if len(words) >= 3 and words[-2].upper() == "AS":
            stages.add(words[-1].lower())
    return out


_FROM = re.compile(r"^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)(.*)$", re.IGNORECASE)


def rewrite_from(text: str, images: dict[str, str]) -> str:
    """The Dockerfile with FROM images replaced; every other line (and every line number) kept."""
    lines = text.splitlines(keepends=True)
    for n, line in enumerate(lines):
        m = _FROM.match(line)
        if m and m.group(2) in images:
            end = line[len(line.rstrip("\r\n")):]
            lines[n] = f"{m.group(1)}{images[m.group(2)]}{m.group(3).rstrip(chr(13))}{end}"
    return "".join(lines)


def ignore_patterns(root: Path) -> list[str]:
    """The patterns of the folder's .dockerignore (files the build context leaves out)."""
    path = root / ".dockerignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]


def context_tar(root: Path, files: Iterable[str], replace: dict[str, str] | None = None) -> bytes:
    """A build context: `files` (relative to root) in a tar, with some replaced by in-memory text."""
    replace = dict(replace or {})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(set(files) | set(replace)):
            path = root / name
            if name in replace:
                data = replace[name].encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                info.mtime = int(path.stat().st_mtime) if path.exists() else 0
                tar.addfile(info, io.BytesIO(data))
            elif path.is_file() or path.is_symlink() or path.is_dir():
                tar.add(path, arcname=name, recursive=False)
    return buf.getvalue()

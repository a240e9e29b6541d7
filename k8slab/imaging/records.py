"""Image layers and build steps as plain records, without Docker.

`from_history` pairs what `docker history` tells (size, the command that made each layer)
with the Dockerfile line it came from and whether it is the base image's;
`StepTracker` reads the builder's output and tells which steps came from the cache.
Both feed text summaries stable enough for saved notebook outputs (no ids, no dates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from k8slab.imaging.dockerfile import Instruction


def human(size: int) -> str:
    """Bytes the way `docker images` shows them (powers of 1000)."""
    if size < 1000:
        return f"{size} B"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 999.95 or unit == "TB":
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Layer:
    """One entry of an image's history: a filesystem layer, or 0 B when it only sets metadata."""

    index: int  # 1 is the oldest (the bottom of the stack)
    size: int
    instruction: str  # the Dockerfile line when known, else what Docker recorded
    line: int | None  # the Dockerfile line it came from (the FROM line for the base's layers)
    shared: bool  # part of the base image, so shared with every image built on it
    created_by: str  # as Docker recorded it
    id: str | None = None  # the (intermediate) image id, when the engine still has it


def recorded_instruction(created_by: str, comment: str = "") -> str:
    """`/bin/sh -c #(nop) ADD file:ab12 in /app.js` -> `ADD file:ab12 in /app.js`; a bare command is a RUN."""
    text = " ".join(created_by.split())
    if not text:
        return comment or "(no record)"
    text = re.sub(r"\s*# buildkit$", "", text)
    m = re.match(r"^/bin/sh -c #\(nop\)\s*(.*)$", text)
    if m:
        return m.group(1)
    if text.startswith("/bin/sh -c "):
        return "RUN " + text[len("/bin/sh -c "):]
    return text


def _keyword(instruction: str) -> str:
    return instruction.split(" ", 1)[0].upper()


def from_history(
    history: list[dict],
    base_entries: int,
    instructions: Iterable[Instruction] | None = None,
) -> list[Layer]:
    """Layers, oldest first, from the engine's history (newest first, as the API gives it).

    The oldest `base_entries` entries are the base image's. The others are paired in order
    with the instructions after the last FROM (one history entry per instruction, as the
    builder records them); where the kinds disagree the line is left unknown.
    """
    entries = list(reversed(history))
    base_entries = max(0, min(base_entries, len(entries)))
    steps: list[Instruction] = []
    from_line = None
    for i in instructions or []:
        if i.keyword == "FROM":
            steps, from_line = [], i.line
        else:
            steps.append(i)
    own = entries[base_entries:]
    paired = len(own) == len(steps)
    out = []
    for n, entry in enumerate(entries):
        recorded = recorded_instruction(entry.get("CreatedBy") or "", entry.get("Comment") or "")
        shared = n < base_entries
        line, text = (from_line, recorded) if shared else (None, recorded)
        if not shared and paired:
            step = steps[n - base_entries]
            if _keyword(recorded) == step.keyword:
                line, text = step.line, str(step)
        raw_id = entry.get("Id") or ""
        out.append(Layer(n + 1, int(entry.get("Size") or 0), text, line, shared, entry.get("CreatedBy") or "",
                         None if raw_id in ("", "<missing>") else raw_id))
    return out


def summary(layers: list[Layer], image: str = "the image", base: str | None = None) -> str:
    """A text table of the layers, the oldest first, with totals."""
    total = sum(x.size for x in layers)
    shared = [x for x in layers if x.shared]
    own = [x for x in layers if not x.shared]
    head = f"{image}: {len(layers)} layers, {human(total)}"
    if base:
        head += f"; {len(shared)} from the base {base} ({human(sum(x.size for x in shared))}, shared)"
    head += f", {len(own)} of its own ({human(sum(x.size for x in own))})"
    rows = [("#", "size", "base", "line", "instruction")]
    for x in layers:
        text = x.instruction if len(x.instruction) <= 70 else x.instruction[:69] + "…"
        rows.append((str(x.index), human(x.size), "yes" if x.shared else "no", str(x.line or "-"), text))
    return "\n".join([head, *_table(rows, right=(0, 1))])


def _table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


# -- build steps ----------------------------------------------------------------

# Docker's legacy builder says `Step 2/3 : ADD ...` and ` ---> Using cache`;
# Podman says `STEP 2/3: ADD ...` and `--> Using cache <id>`.
STEP = re.compile(r"^\s*(?:Step|STEP) (\d+)/(\d+)\s?: ?(.*)$")
CACHED = re.compile(r"^\s*-+>\s*Using cache")
RESULT = re.compile(r"^\s*-+>\s*([0-9a-f]{8,64})\s*$")
PULLED = re.compile(r"Pulling from|Pulling fs layer|Downloaded newer image")


@dataclass
class BuildStep:
    number: int
    total: int
    instruction: str
    line: int | None = None
    cached: bool = False
    id: str | None = None
    output: list[str] = field(default_factory=list)

    @property
    def from_cache(self) -> bool:
        """FROM counts as cached when the base was already there (nothing was pulled)."""
        if _keyword(self.instruction) == "FROM":
            return not any(PULLED.search(x) for x in self.output)
        return self.cached


class StepTracker:
    """Feed it the builder's output line by line; it keeps one BuildStep per Dockerfile step."""

    def __init__(self, instructions: Iterable[Instruction] | None = None):
        self.instructions = list(instructions or [])
        self.steps: list[BuildStep] = []

    @property
    def current(self) -> BuildStep | None:
        return self.steps[-1] if self.steps else None

    def feed(self, line: str) -> BuildStep | None:
        """Returns the step when `line` starts a new one."""
        m = STEP.match(line)
        if m:
            number, total = int(m.group(1)), int(m.group(2))
            known = self.instructions[number - 1].line if number <= len(self.instructions) else None
            self.steps.append(BuildStep(number, total, m.group(3).strip(), known))
            return self.steps[-1]
        step = self.current
        if step is not None:
            step.output.append(line)
            if CACHED.match(line):
                step.cached = True
            elif r := RESULT.match(line):
                step.id = r.group(1)
        return None


def steps_summary(steps: list[BuildStep]) -> str:
    """One row per step: its Dockerfile line and whether it came from the cache."""
    cached = sum(s.from_cache for s in steps)
    head = f"{len(steps)} steps, {cached} from the cache, {len(steps) - cached} built"
    rows = [("step", "line", "cache", "instruction")]
    for s in steps:
        rows.append((f"{s.number}/{s.total}", str(s.line or "-"), "cached" if s.from_cache else "built", s.instruction))
    return "\n".join([head, *_table(rows)])

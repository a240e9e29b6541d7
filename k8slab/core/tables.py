"""A plain table of rows: HTML in a notebook, aligned text elsewhere (no widget needed)."""

from __future__ import annotations

import html


class Table:
    """Rows of dicts shown as an HTML table in a notebook and as aligned text elsewhere."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def _repr_html_(self) -> str:
        cols = list(self.rows[0])
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(r[c]))}</td>" for c in cols) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        cols = list(self.rows[0])
        width = {c: max(len(c), *(len(str(r[c])) for r in self.rows)) for c in cols[:-1]}
        line = lambda r: "  ".join(str(r[c]).ljust(width[c]) for c in cols[:-1]) + "  " + str(r[cols[-1]])  # noqa: E731
        return "\n".join([line({c: c for c in cols}), *(line(r) for r in self.rows)])

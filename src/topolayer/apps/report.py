"""Results of the demo applications: one :class:`Section` per application, written out as
``metrics.json``, ``report.md`` and ``report.html`` (figures and tables beside the paper's
finding).

Every number in a report is measured by the run that writes it; the paper's numbers appear only
in the "paper" text of a section, labelled as such.
"""

from __future__ import annotations

import html
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Table", "Section", "write_report", "fmt"]


def fmt(x: Any, digits: int = 3) -> str:
    """Format a number for a table: ``digits`` significant figures, ints as they are."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x != 0 and (abs(x) >= 10 ** (digits + 1) or abs(x) < 10 ** -(digits - 1)):
            return f"{x:.{digits - 1}e}"
        return f"{x:.{digits}g}"
    return str(x)


@dataclass
class Table:
    """A results table: a title, a header row and rows of cells (numbers are formatted)."""

    title: str
    header: list[str]
    rows: list[list[Any]]

    def cells(self) -> list[list[str]]:
        return [[fmt(c) for c in row] for row in self.rows]


@dataclass
class Section:
    """What one application reports.

    Parameters
    ----------
    name : str
        Key of the application in ``metrics.json`` (``"regularize"``, ...).
    title : str
        Section heading.
    paper : str
        The paper's setup and finding, in words (from PAPER.md).
    finding : str
        What this run shows, written from the measured numbers.
    differences : list of str
        Where this run's protocol differs from the paper's.
    tables : list of Table
    figures : list of (str, str)
        ``(file name inside the output folder, caption)``.
    metrics : dict
        JSON-serialisable measured values.
    """

    name: str
    title: str
    paper: str
    finding: str = ""
    differences: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        try:
            x = x.item()
        except (ValueError, RuntimeError):
            x = x.tolist()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def _md_table(t: Table) -> str:
    lines = [f"**{t.title}**", "", "| " + " | ".join(t.header) + " |"]
    lines.append("|" + "|".join(" --- " for _ in t.header) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in t.cells()]
    return "\n".join(lines)


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t.cells()
    )
    return f"<p><b>{html.escape(t.title)}</b></p><table><tr>{head}</tr>{body}</table>"


def _meta_lines(meta: dict[str, Any]) -> list[str]:
    return [f"{k}: {fmt(v) if isinstance(v, float) else v}" for k, v in meta.items()]


def write_report(out: Path, sections: list[Section], meta: dict[str, Any]) -> dict[str, Path]:
    """Write ``metrics.json``, ``report.md`` and ``report.html`` into ``out``.

    Parameters
    ----------
    out : Path
        Output folder (created if missing); figures named by the sections must already be there.
    sections : list of Section
    meta : dict
        Run information (seed, quick, wall time, versions) stored under ``"meta"``.

    Returns
    -------
    dict of str to Path
        The three files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(meta)
    meta.setdefault("python", platform.python_version())
    metrics = {"meta": meta}
    for s in sections:
        metrics[s.name] = dict(s.metrics, seconds=round(s.seconds, 2))
    paths = {"metrics": out / "metrics.json", "md": out / "report.md", "html": out / "report.html"}
    paths["metrics"].write_text(json.dumps(_json_safe(metrics), indent=2) + "\n")

    md = ["# topolayer demo: the paper's applications", ""]
    md += ["Run: " + "; ".join(_meta_lines(meta)), ""]
    hp = [
        "<!doctype html><html><head><meta charset='utf-8'><title>topolayer demo</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;margin:0.5em 0 1em}td,th{border:1px solid #bbb;"
        "padding:3px 8px;text-align:right}th{background:#eee}img{max-width:100%}"
        ".cols{display:flex;gap:1.5em}.cols>div{flex:1}</style></head><body>",
        "<h1>topolayer demo: the paper's applications</h1>",
        f"<p>Run: {html.escape('; '.join(_meta_lines(meta)))}</p>",
    ]
    for s in sections:
        md += [
            f"## {s.title}",
            "",
            f"*Paper.* {s.paper}",
            "",
            f"*This run ({s.seconds:.0f} s).* {s.finding}",
            "",
        ]
        if s.differences:
            md += ["Differences from the paper's protocol:", ""]
            md += [f"- {d}" for d in s.differences] + [""]
        for t in s.tables:
            md += [_md_table(t), ""]
        for f, cap in s.figures:
            md += [f"![{cap}]({f})", "", f"*{cap}*", ""]
        hp.append(f"<h2>{html.escape(s.title)}</h2><div class='cols'>")
        hp.append(f"<div><h3>Paper</h3><p>{html.escape(s.paper)}</p></div>")
        hp.append(
            f"<div><h3>This run ({s.seconds:.0f} s)</h3><p>{html.escape(s.finding)}</p></div></div>"
        )
        if s.differences:
            hp.append("<p>Differences from the paper's protocol:</p><ul>")
            hp += [f"<li>{html.escape(d)}</li>" for d in s.differences]
            hp.append("</ul>")
        hp += [_html_table(t) for t in s.tables]
        for f, cap in s.figures:
            hp.append(
                f"<figure><img src='{html.escape(f)}' alt='{html.escape(cap)}'>"
                f"<figcaption>{html.escape(cap)}</figcaption></figure>"
            )
    hp.append("</body></html>")
    paths["md"].write_text("\n".join(md))
    paths["html"].write_text("\n".join(hp) + "\n")
    return paths

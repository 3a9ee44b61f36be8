"""The reproduction report as one self-contained HTML page that a person reads.

A verdict at the top, the reasons and what changed since the record, then a line per
cell: its status, what differed, and the diff.
"""

from __future__ import annotations

from html import escape
from typing import Any

_COLOURS = {
    "same": "#2e7d32",
    "sanitized": "#558b2f",
    "within-tolerance": "#9e9d24",
    "skipped": "#757575",
    "differs": "#c62828",
}

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; }
.verdict { font-size: 1.6rem; font-weight: 600; padding: .6rem 1rem; color: white; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem .5rem; vertical-align: top;
         text-align: left; }
pre { background: #f6f6f6; padding: .4rem; overflow-x: auto; max-height: 24rem; margin: .2rem 0; }
.status { color: white; padding: 0 .4rem; border-radius: .2rem; white-space: nowrap; }
img { max-width: 20rem; border: 1px solid #ccc; }
"""


def _status(status: str) -> str:
    return f'<span class="status" style="background:{_COLOURS[status]}">{escape(status)}</span>'


def _cell_row(cell: dict[str, Any]) -> str:
    details = []
    for d in cell["differences"]:
        line = f"<div>output {d['output']} <code>{escape(d['kind'])}</code>: "
        line += f"{_status(d['status'])} {escape(d['what'])}</div>"
        if d["diff"]:
            line += f"<pre>{escape(d['diff'])}</pre>"
        details.append(line)
    source = cell["source"].strip().splitlines()
    first = escape(source[0][:90]) if source else ""
    return (
        f"<tr><td>{cell['index']}</td><td>{_status(cell['status'])}</td>"
        f"<td><code>{first}</code>{''.join(details)}</td></tr>"
    )


def render_html(report: dict[str, Any]) -> str:
    ok = report["verdict"] == "reproduces"
    colour = _COLOURS["same" if ok else "differs"]
    reasons = "".join(
        f"<li><b>{escape(r['kind'])}</b>: {escape(r['message'])}</li>" for r in report["reasons"]
    )
    summary = ", ".join(f"{n} {s}" for s, n in report["summary"].items() if n)
    sanitizers = "".join(
        f"<li><code>{escape(n)}</code>: {escape(w)}</li>" for n, w in report["sanitizers"].items()
    )
    tol = report["tolerance"]
    rows = "".join(_cell_row(c) for c in report["cells"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Reproduction of {escape(report["target"])}: {escape(report["verdict"])}</title>
<style>{_STYLE}</style></head><body>
<div class="verdict" style="background:{colour}">{escape(report["verdict"])}</div>
<p>Target <code>{escape(report["target"])}</code>; run record
<code>{escape(str(report["record"]))}</code>; re-executed in a fresh kernel as
<code>{escape(report["reproduced"])}</code>.<br>Cells: {escape(summary)}.
Execution {report["timings_s"].get("execute")} s, comparison
{report["timings_s"].get("compare")} s.</p>
<h2>Reasons</h2><ul>{reasons or "<li>none: every cell reproduces</li>"}</ul>
<h2>Cells</h2>
<table><thead><tr><th>cell</th><th>status</th><th>source and differences</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>How outputs were compared</h2>
<p>Text exactly, after these sanitizers (applied to both sides):</p><ul>{sanitizers}</ul>
<p>Numbers in text, HTML and JSON within rtol={tol["rtol"]}, atol={tol["atol"]};
images pixel by pixel: at most {tol["pixel_fraction"]:.2%} of pixels may differ by more
than {tol["pixel_threshold"]} in a channel.</p>
</body></html>
"""

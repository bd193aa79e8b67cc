"""The class report: ``grades/<slug>-report.html``, one self-contained page an instructor can act on.

Readable offline: no script, no font and no style sheet is fetched; the plot is an embedded PNG.
It shows the score distribution, then per graded part the mean, the share of full marks and the
most common reasons for losing them (messages that differ only in the inputs they quote are
grouped), and the students who hit a resource limit or could not be graded, with the reason.
Every number is computed from the CSV written by the same run, so the two always agree.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

TOP_MESSAGES = 5


def message_group(message: str) -> str:
    """A failure message with the inputs and values it quotes replaced by "…"."""
    text = message.strip()
    for _ in range(5):  # innermost brackets first, so nested inputs collapse too
        text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}", "…", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    text = re.sub(r"(?<![\w])-?\d+(\.\d+)?(e-?\d+)?", "N", text)
    return re.sub(r"(…[\s,]*)+", "…", text)


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        fields = reader.fieldnames or []
    parts = [f for f in fields if f not in ("student", "assignment", "score", "max_score", "errors")]
    return parts, rows


def summary(csv_path: Path, outcomes: dict[str, Any], max_points: dict[str, float]) -> dict[str, Any]:
    """The report's numbers: from the CSV (scores) and the run's outcomes (messages, limits)."""
    parts, rows = read_csv(csv_path)
    scores = [float(r["score"]) for r in rows]
    per_part = {}
    for part in parts:
        values = [float(r[part]) for r in rows]
        full = max_points.get(part, max(values, default=0.0))
        messages = Counter()
        examples: dict[str, str] = {}
        for student, outcome in outcomes.items():
            error = outcome.result["cells"].get(part, {}).get("error")
            if error and outcome.status != "not graded":
                key = message_group(error)
                messages[key] += 1
                examples.setdefault(key, error)
        per_part[part] = {
            "max": full,
            "mean": sum(values) / len(values) if values else 0.0,
            "full_share": sum(1 for v in values if v >= full) / len(values) if values else 0.0,
            "messages": [(key, count, examples[key]) for key, count in messages.most_common(TOP_MESSAGES)],
        }
    limited = sorted((s, o.reason) for s, o in outcomes.items() if o.status != "not graded" and o.reason)
    ungraded = sorted((s, o.reason) for s, o in outcomes.items() if o.status == "not graded")
    total = float(rows[0]["max_score"]) if rows else sum(max_points.values())
    return {"students": len(rows), "scores": scores, "max_score": total,
            "mean": sum(scores) / len(scores) if scores else 0.0,
            "median": _median(scores), "full_share": sum(1 for s in scores if s >= total) / len(scores) if scores else 0.0,
            "parts": per_part, "limited": limited, "ungraded": ungraded}


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def histogram_png(scores: list[float], max_score: float) -> str:
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=100)
    bins = [x - 0.5 for x in range(int(max_score) + 2)]
    ax.hist(scores, bins=bins, color="#4a6fa5", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("students")
    ax.set_xlim(-0.5, max_score + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def write_report(slug: str, outcomes: dict[str, Any], out: Path, csv_path: Path) -> Path:
    from autograder.grading import manual_parts, points

    data = summary(csv_path, outcomes, points(slug))
    manual = manual_parts(slug)
    e = html.escape
    rows = []
    for part, info in data["parts"].items():
        messages = "".join(f"<li><b>{count}×</b> {e(key)}<br><span class=ex>e.g. {e(example)}</span></li>"
                           for key, count, example in info["messages"]) or "<li>none</li>"
        if part in manual:
            messages = "<li>a written answer, graded by hand in formgrader: 0 until it is</li>"
        rows.append(f"<tr><td><code>{e(part)}</code></td><td>{info['max']:g}</td><td>{info['mean']:.2f}</td>"
                    f"<td>{100 * info['full_share']:.0f}%</td><td><ul>{messages}</ul></td></tr>")
    limited = "".join(f"<tr><td>{e(s)}</td><td>{e(r)}</td></tr>" for s, r in data["limited"]) or \
        "<tr><td colspan=2>none</td></tr>"
    ungraded = "".join(f"<tr><td>{e(s)}</td><td>{e(r)}</td></tr>" for s, r in data["ungraded"]) or \
        "<tr><td colspan=2>none</td></tr>"
    png = histogram_png(data["scores"], data["max_score"]) if data["scores"] else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(slug)}: class report</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }}
ul {{ margin: 0; padding-left: 1.2em; }} .ex {{ color: #666; font-size: 0.85em; }}
</style></head><body>
<h1>{e(slug)}: class report</h1>
<p id="summary">{data['students']} students; mean score <b id="mean">{data['mean']:.2f}</b> of {data['max_score']:g},
median {data['median']:g}; {100 * data['full_share']:.0f}% with full marks.
Scores are those of <code>{e(csv_path.name)}</code>.</p>
<h2>Score distribution</h2>
{f'<img alt="histogram of total scores" src="data:image/png;base64,{png}">' if png else '<p>no scores</p>'}
<h2>Per graded part</h2>
<table id="parts"><tr><th>part</th><th>points</th><th>mean</th><th>full marks</th>
<th>most common reasons for losing points (count)</th></tr>
{''.join(rows)}</table>
<h2>Students who hit a resource limit</h2>
<table id="limited"><tr><th>student</th><th>limit</th></tr>{limited}</table>
<h2>Students who could not be graded</h2>
<table id="ungraded"><tr><th>student</th><th>reason</th></tr>{ungraded}</table>
</body></html>
"""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out

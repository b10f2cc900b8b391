"""Write a run's results: Markdown tables (stdout and ``bench.md``), raw JSON, and a PNG plot if possible.

Extra rows (e.g. the suite wall times the lead measures: pabot vs serial
robot) come from ``<out>/suite_times.json`` when that file exists; accepted
forms are described in :func:`load_extra_section`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable

from .model import BenchConfig, Section

__all__ = ["render_markdown", "render_table", "write_report", "load_extra_section", "plot_throughput",
           "SUITE_TIMES_FILE"]

SUITE_TIMES_FILE = "suite_times.json"
ROUGH_NOTE = ("Numbers are rough: they come from one run on a shared machine (other work competes for the CPU), "
              "and the mocks run in the benchmark's own Python process.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.1f}"
    return str(value).replace("|", "\\|")


def render_table(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """A GitHub Markdown table of ``rows`` restricted to ``columns``."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
    return "\n".join(lines)


def render_section(section: Section) -> str:
    """``## title``, description, table, notes."""
    parts = [f"## {section.title}", "", section.description, "", render_table(section.columns, section.rows)]
    if section.notes:
        parts.append("")
        parts += [f"- {note}" for note in section.notes]
    return "\n".join(parts)


def render_markdown(machine: dict[str, Any], config: BenchConfig, sections: list[Section]) -> str:
    """The whole report: machine facts first, then one table per benchmark."""
    load = machine.get("load_average_1_5_15")
    header = [
        "# Benchmarks",
        "",
        f"- date (UTC): {machine.get('date')}",
        f"- cores: {machine.get('cores')} (usable: {machine.get('usable_cores')}), "
        f"load average 1/5/15 min at start: {', '.join(map(str, load)) if load else 'n/a'}",
        f"- Python {machine.get('python')} ({machine.get('implementation')}), {machine.get('platform')}",
        f"- mode: {config.mode}, load duration per point {config.load_duration_s:g} s",
        "",
        f"> {ROUGH_NOTE}",
    ]
    return "\n".join(header + [""] + ["\n\n".join(render_section(s) for s in sections), ""])


def load_extra_section(path: Path) -> Section | None:
    """Rows from ``suite_times.json``: None when the file is absent.

    Accepted forms: a list of row objects; ``{"title"?, "description"?,
    "columns"?, "rows": [...], "notes"?: [...]}``; or a flat ``{label: seconds}``.
    A file that cannot be read becomes a section whose note says why.
    """
    if not path.is_file():
        return None
    section = Section(key="suite_times", title="6. Suite wall time (supplied)",
                      description=f"Rows read from {path.name}.", columns=[])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        section.notes.append(f"could not read {path}: {type(exc).__name__}: {exc}; expected JSON")
        return section
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        section.title = str(data.get("title", section.title))
        section.description = str(data.get("description", section.description))
        section.notes += [str(n) for n in data.get("notes", [])]
        rows = data["rows"]
        columns = data.get("columns")
    elif isinstance(data, list):
        rows, columns = data, None
    elif isinstance(data, dict):
        rows, columns = [{"run": k, "wall s": v} for k, v in data.items()], ["run", "wall s"]
    else:
        section.notes.append(f"{path.name} holds a {type(data).__name__}: expected a list of rows or an object")
        return section
    rows = [r for r in rows if isinstance(r, dict)]
    if not columns:
        columns = []
        for row in rows:
            columns += [k for k in row if k not in columns]
    section.columns = [str(c) for c in columns]
    section.rows = rows
    return section


def plot_throughput(sections: list[Section], path: Path, log: Callable[[str], None] = print) -> bool:
    """Bar chart of req/s per endpoint and connection count; False (with a note) without matplotlib."""
    throughput = next((s for s in sections if s.key == "throughput"), None)
    if throughput is None or not throughput.rows:
        return False
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("note: matplotlib is not installed: skipping the throughput plot (bench.png)")
        return False
    series: dict[str, dict[int, float]] = {}
    for row in throughput.rows:
        series.setdefault(f"{row['service']} {row['format']}", {})[row["connections"]] = row["req/s"]
    connections = sorted({c for values in series.values() for c in values})
    width = 0.8 / max(1, len(connections))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, count in enumerate(connections):
        xs = [j + i * width for j in range(len(series))]
        ax.bar(xs, [values.get(count, 0) for values in series.values()], width, label=f"{count} conn.")
    ax.set_xticks([j + width * (len(connections) - 1) / 2 for j in range(len(series))], list(series))
    ax.set_ylabel("requests / s")
    ax.set_title("Mock throughput (in-process uvicorn server)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_report(out: Path, machine: dict[str, Any], config: BenchConfig, sections: list[Section], *,
                 log: Callable[[str], None] = print, plot: bool = True) -> dict[str, Path]:
    """Write ``bench.md``, ``bench.json`` and (if possible) ``bench.png`` into ``out``; print the Markdown.

    Returns the paths written, by kind (``markdown``, ``json``, ``png``).
    """
    out.mkdir(parents=True, exist_ok=True)
    sections = list(sections)
    extra = load_extra_section(out / SUITE_TIMES_FILE)
    if extra is not None:
        sections.append(extra)
    markdown = render_markdown(machine, config, sections)
    written = {"markdown": out / "bench.md", "json": out / "bench.json"}
    written["markdown"].write_text(markdown, encoding="utf-8")
    document = {"machine": machine, "config": config.to_dict(),
                "benchmarks": {s.key: s.to_dict() for s in sections}}
    written["json"].write_text(json.dumps(_jsonable(document), indent=2) + "\n", encoding="utf-8")
    if plot and plot_throughput(sections, out / "bench.png", log=log):
        written["png"] = out / "bench.png"
    log(markdown)
    return written

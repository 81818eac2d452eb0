"""The consolidated report as one self-contained HTML file (styles inline,
charts embedded as base64 PNG), from the Jinja2 template in `templates/`."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import BinaryIO

from jinja2 import Environment, FileSystemLoader, Template

from bot.reports.charts import charts
from bot.reports.data import ReportData
from bot.reports.wording import Wording

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    return environment.get_template("report.html.j2")


def write_html(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        # Streamed: a discussion of 100,000 contributions is never one string in memory.
        text.writelines(template().generate(report=report, words=words, charts=charts(words)))
    finally:
        text.flush()
        text.detach()

"""The consolidated report as one self-contained HTML file (styles inline,
charts embedded as base64 PNG), from the Jinja2 templates in `templates/`:
`report.html.j2` the page, which includes `question.html.j2` once per
question (each block rendered and written as it comes: the page is streamed,
never one string), both showing contributions with `contribution.html.j2`."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import BinaryIO

from jinja2 import Environment, FileSystemLoader, Template

from bot.reports.charts import charts
from bot.reports.data import ReportData
from bot.reports.synthesis.wording import KeyPointsWording
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
    points = KeyPointsWording(report, report.synthesis, words) if report.synthesis is not None else None
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        text.writelines(template().generate(report=report, words=words, charts=charts(words), points=points))
    finally:
        text.flush()
        text.detach()

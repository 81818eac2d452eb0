"""The consolidated report as one self-contained HTML file (styles inline,
charts embedded as base64 PNG), from the Jinja2 templates in `templates/`:
`report.html.j2` the page, which includes `question.html.j2` once per
question (each block rendered and written as it comes: the page is streamed,
never one string), both including `contribution.html.j2` once per block for
its contributions."""

from __future__ import annotations

import base64
from functools import cache
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from jinja2 import Environment, FileSystemLoader, Template

from bot.reports.charts import charts
from bot.reports.data import ReportData
from bot.reports.synthesis.wording import KeyPointsWording
from bot.reports.wording import Wording

TEMPLATES = Path(__file__).resolve().parent / "templates"
# The page comes as about 20 pieces per contribution: joined and written a
# few hundred at a time, since a write per piece costs more than the join.
PIECES_PER_WRITE = 256


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
    pieces = template().generate(report=report, words=words, charts=charts(words), points=points)
    while chunk := list(islice(pieces, PIECES_PER_WRITE)):
        out.write("".join(chunk).encode("utf-8"))

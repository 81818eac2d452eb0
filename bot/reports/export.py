"""One entry point for every format: `write_report(report, format, language, out)`."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from bot.i18n import reading_in
from bot.reports import FORMATS
from bot.reports.charts import Chart
from bot.reports.data import ReportData
from bot.reports.data_exports import write_csv, write_json, write_xlsx
from bot.reports.html import write_html
from bot.reports.markdown import write_markdown
from bot.reports.word import write_docx

WRITERS: dict[str, Callable[[ReportData, BinaryIO], None]] = {
    "md": write_markdown,
    "html": write_html,
    "docx": write_docx,
    "json": write_json,
    "csv": write_csv,
    "xlsx": write_xlsx,
}
assert tuple(WRITERS) == FORMATS, "every format listed has a writer"


def write_report(report: ReportData, format: str, language: str, out: BinaryIO, save_chart: Callable[[Chart], str] | None = None) -> None:
    """Write the report in `format` ("md", "html", "docx", "json", "csv", "xlsx") and `language`.
    `save_chart`: where Markdown's charts go (it gives the link to the image); without it, they are left out."""
    with reading_in(language):
        if format == "md":
            write_markdown(report, out, save_chart)
        else:
            WRITERS[format](report, out)


def report_bytes(report: ReportData, format: str, language: str) -> bytes:
    buffer = io.BytesIO()
    write_report(report, format, language, buffer)
    return buffer.getvalue()


def file_name(report: ReportData, format: str, language: str) -> str:
    return f"{report.slug}-report-{language}.{format}"

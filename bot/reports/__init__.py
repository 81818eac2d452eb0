"""The consolidated report and the data exports.

The report's data is gathered from the database once, into plain dataclasses
(`bot.reports.data`), with the privacy rules already applied: nothing a
participant did not agree to publish ever reaches a renderer. Each format then
has its own renderer (`bot.reports.export.write_report` picks one).
"""

# Named here, apart from the renderers, so that the command line can list them
# without importing matplotlib and python-docx.
FORMATS = ("md", "html", "docx", "json", "csv", "xlsx")  # every one carries the key points

"""Text that XML formats (DOCX, XLSX) can hold."""

import re

# Characters XML 1.0 forbids. Stored texts are cleaned on the way in, but a
# report must never fail on one stray character.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)

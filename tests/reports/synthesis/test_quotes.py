"""The sentences a quote is chosen from: exact slices of what the author wrote."""

from bot.reports.synthesis.quotes import sentences

LISTED = (
    "Three difficulties:\n1. Migrants and their families are not the priority of RLAs in the area;\n2. Lack of funds;\n3. Lack of data."
)


def test_an_items_sentence_ends_before_the_next_items_number():
    found = sentences(LISTED)
    assert found == [
        "Three difficulties:",
        "Migrants and their families are not the priority of RLAs in the area;",
        "Lack of funds;",
        "Lack of data.",
    ]
    assert all(sentence in LISTED for sentence in found)

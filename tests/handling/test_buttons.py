"""Button data read back as it was written, and short enough for Telegram."""

from bot.handling.buttons import button_data, read_button


def test_button_data_reads_back_its_kind_and_values():
    pressed = read_button(button_data("file", 12, "1.3"))
    assert (pressed.kind, pressed.value(0), pressed.value(1)) == ("file", "12", "1.3")
    assert read_button("skip").value() == "", "a value the data lacks reads as empty"


def test_the_longest_data_the_bot_writes_fits_telegrams_64_bytes():
    assert len(button_data("moveto", 2**31 - 1, "12.15").encode()) <= 64

"""/timezone with a city or country, as people type it, in their language."""

from sqlalchemy import select

from bot.storage.models import Participant
from schedules.zones import find_zone
from tests.helpers import join


def test_cities_countries_and_capitals_in_the_readers_language():
    assert find_zone("Paris", "en").zone.key == "Europe/Paris"
    assert find_zone("Quito", "es").zone.key == "America/Guayaquil"  # Ecuador's capital names no zone
    assert find_zone("Londres", "fr").zone.key == "Europe/London"
    assert find_zone("ciudad de mexico", "es").zone.key == "America/Mexico_City"
    assert find_zone("Bruselas", "es").zone.key == "Europe/Brussels"
    assert find_zone("Canberra", "en").zone.key == "Australia/Sydney"  # through the alias Australia/Canberra
    assert find_zone("america/el_salvador", "en").zone.key == "America/El_Salvador"


def test_an_ambiguous_or_misspelt_name_gets_suggestions():
    kingston = find_zone("Kingston", "en")
    assert kingston.zone is None and set(kingston.candidates) == {"America/Jamaica", "Pacific/Norfolk"}
    assert find_zone("Équateur", "fr").candidates == ("America/Guayaquil", "Pacific/Galapagos")
    assert find_zone("Pariss", "en").candidates == ("Europe/Paris",)
    assert find_zone("Mars/Olympus", "en").zone is None


async def test_a_country_whose_name_is_a_folder_of_zones_is_asked_about_not_a_failure(engine, platform, user):
    ana = await join(engine, user, "ana", "en")
    await engine.handle_message(ana.message("/timezone Canada"))  # tzdata holds a folder "Canada", no zone
    assert platform.last(ana.dm).text.startswith("Canada may be one of these time zones: America/St_Johns")


async def test_timezone_command_takes_a_city_and_suggests_when_ambiguous(engine, platform, user):
    ana = await join(engine, user, "ana", "es", chosen_language="es")
    await engine.handle_message(ana.message("/timezone Quito"))
    assert "America/Guayaquil" in platform.last(ana.dm).text
    await engine.handle_message(ana.message("/timezone Kingston"))
    assert platform.last(ana.dm).text.startswith("Kingston puede ser una de estas zonas horarias: America/Jamaica, Pacific/Norfolk.")
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.timezone)) == "America/Guayaquil", "an ambiguous name changes nothing"

"""The chats' turns on their own: a chat with a backlog gives way to the
others, and still has its turns."""

from __future__ import annotations

import asyncio
import itertools

from adapters.telegram.turns import BACKLOG_FROM, ChatsInTurn, Fetched, Releases

FLOODER, QUIET = 1, 2


def update(update_id: int, chat_id: int) -> Fetched:
    return Fetched.of({"update_id": update_id, "message": {"chat": {"id": chat_id}, "text": f"answer {update_id}"}})


class Handling:
    """Each update handled until the test lets it go; who was in a turn beside whom."""

    def __init__(self) -> None:
        self.started: list[int] = []  # chat ids, in the order their updates' handling began
        self.in_turn: set[int] = set()
        self.beside: list[tuple[int, frozenset[int]]] = []  # each start, with the chats in turn then
        self.go: dict[int, asyncio.Event] = {}

    async def handle(self, fetched: Fetched) -> None:
        assert fetched.chat_id is not None
        self.beside.append((fetched.chat_id, frozenset(self.in_turn)))
        self.started.append(fetched.chat_id)
        self.in_turn.add(fetched.chat_id)
        self.go[fetched.update_id] = asyncio.Event()
        await self.go[fetched.update_id].wait()
        self.in_turn.discard(fetched.chat_id)

    async def finish(self, update_id: int) -> None:
        while update_id not in self.go:
            await asyncio.sleep(0)
        self.go[update_id].set()
        for _ in range(5):  # the turn's end, and the next turns begun
            await asyncio.sleep(0)


async def nothing(_update: Fetched) -> None:
    return None


async def released(_ids: object) -> None:
    return None


def chats(handling: Handling, chats_at_once: int = 16) -> ChatsInTurn:
    return ChatsInTurn(chats_at_once, 10_000, Releases(released), handling.handle, nothing)


async def test_a_chat_with_a_backlog_waits_while_a_chat_with_one_update_takes_its_turn():
    handling = Handling()
    turns = chats(handling)
    turns.take(update(n, FLOODER) for n in range(1, 21))
    await handling.finish(1)  # the flood's first update, handled alone
    turns.take([update(100, QUIET)])
    await handling.finish(2)  # the flood's turn under way when the quiet answer came
    assert handling.started == [FLOODER, FLOODER, QUIET], "the quiet answer is next, the flood waits"
    await handling.finish(100)
    assert handling.started[-1] == FLOODER, "the flood goes on once the quiet answer is stored"
    assert all(not beside for chat, beside in handling.beside if chat == QUIET), "the quiet answer shares its turn with no flood's"
    for n in range(3, 21):
        await handling.finish(n)
    await asyncio.wait_for(turns.idle.wait(), 1)
    assert handling.started.count(FLOODER) == 20, "every update of the flood handled"


async def test_a_chat_with_a_backlog_still_has_its_turns_while_other_chats_keep_coming():
    handling = Handling()
    turns = chats(handling, chats_at_once=2)
    flood = range(1, BACKLOG_FROM + 11)
    turns.take(update(n, FLOODER) for n in flood)
    await handling.finish(1)
    newcomer = iter(range(1000, 2000))
    turns.take(update(n, n) for n in (next(newcomer), next(newcomer)))
    while handling.started.count(FLOODER) < 10:  # turns it begins with a backlog (then it is a chat like the others)
        running = [n for n, go in handling.go.items() if not go.is_set()]
        turns.take([update(n, n) for n in [next(newcomer)]])  # one more chat with one answer, each time one is handled
        await handling.finish(running[0])
        assert len(handling.started) < 100, "the flood never had its turn again"
    flood_turns = [i for i, chat in enumerate(handling.started) if chat == FLOODER]
    gaps = [later - earlier - 1 for earlier, later in itertools.pairwise(flood_turns)]
    assert max(gaps) <= 2 + 1, f"other chats' turns between two of the flood's: {gaps} (at most one a slot, and the one under way)"
    while not turns.idle.is_set():
        for update_id in [n for n, go in handling.go.items() if not go.is_set()]:
            await handling.finish(update_id)
    assert handling.started.count(FLOODER) == len(flood), "each update of the flood handled once"

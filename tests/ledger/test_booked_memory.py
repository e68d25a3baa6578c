"""What a rebuild's ledger remembers between pages: recent leads, up to its size, none when 0."""

from __future__ import annotations

import uuid

from projections.commission_ledger.booked_leads import Booked, BookedMemory


def booked_leads(count: int) -> dict[uuid.UUID, Booked]:
    return {uuid.uuid4(): Booked(None, None) for _ in range(count)}


def test_a_lead_taken_for_a_page_is_not_remembered_twice_until_the_page_gives_it_back():
    memory = BookedMemory(10)
    page = booked_leads(3)
    memory.keep(page)

    taken = memory.take(set(page))

    assert taken == page
    assert memory.take(set(page)) == {}


def test_beyond_its_size_the_memory_forgets_the_leads_booked_longest_ago():
    memory = BookedMemory(3)
    first, second = booked_leads(2), booked_leads(2)
    memory.keep(first)
    memory.keep(second)

    remembered = memory.take(set(first) | set(second))

    assert set(remembered) == set(list(first)[1:]) | set(second)


def test_a_live_projection_remembers_nothing_between_pages():
    memory = BookedMemory(0)
    page = booked_leads(2)
    memory.keep(page)

    assert memory.take(set(page)) == {}

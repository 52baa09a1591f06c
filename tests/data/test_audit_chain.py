"""The audit hash chain's canonical form and walk (pure: no database)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.audit_chain import (
    BROKEN_LINK,
    CHANGED_CONTENT,
    GENESIS_HASH,
    AuditFields,
    StoredEvent,
    as_stored,
    canonical,
    event_hash,
    walk,
)

AT = datetime(2026, 11, 26, 9, 50, 0, 123456, tzinfo=UTC)


def make_fields(**changes: object) -> AuditFields:
    fields = AuditFields(
        at=AT,
        actor="apu",
        action="apply",
        target_type="recommendation",
        target_id="7",
        before={"status": "open"},
        after={"status": "applied"},
        detail={"version": 2, "monthly_savings_usd": 70.08},
    )
    return replace(fields, **changes)  # type: ignore[arg-type]


def make_chain(count: int) -> list[StoredEvent]:
    events, prev = [], GENESIS_HASH
    for event_id in range(1, count + 1):
        fields = make_fields(target_id=str(event_id))
        digest = event_hash(fields, prev)
        events.append(StoredEvent(event_id, fields, prev, digest))
        prev = digest
    return events


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    base = event_hash(make_fields(), GENESIS_HASH)

    variants = [
        event_hash(make_fields(actor="mallory"), GENESIS_HASH),
        event_hash(make_fields(at=AT + timedelta(microseconds=1)), GENESIS_HASH),
        event_hash(make_fields(detail={"version": 3, "monthly_savings_usd": 70.08}), GENESIS_HASH),
        event_hash(make_fields(before=None), GENESIS_HASH),
        event_hash(make_fields(), "f" * 64),
    ]

    assert base not in variants
    assert len(set(variants)) == len(variants)


def test_a_timestamp_hashes_the_same_in_any_offset() -> None:
    paris = AT.astimezone(timezone(timedelta(hours=1)))

    assert event_hash(make_fields(at=paris), GENESIS_HASH) == event_hash(
        make_fields(), GENESIS_HASH
    )


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical(make_fields(at=AT.replace(tzinfo=None)), GENESIS_HASH)


@pytest.mark.parametrize(
    ("written", "read_back"),
    [
        (1e20, 100000000000000000000),  # JSONB prints a whole float as an integer
        (-0.0, 0),  # numeric has no negative zero
        (1.5e-07, 0.00000015),
        (2.0, 2),
        (Decimal("70.0800"), 70.08),
    ],
)
def test_a_number_hashes_as_the_value_the_database_gives_back(
    written: float | Decimal, read_back: float
) -> None:
    assert event_hash(make_fields(detail={"n": written}), GENESIS_HASH) == event_hash(
        make_fields(detail={"n": read_back}), GENESIS_HASH
    )


def test_a_number_and_a_string_spelling_it_hash_apart() -> None:
    assert event_hash(make_fields(detail={"n": 100}), GENESIS_HASH) != event_hash(
        make_fields(detail={"n": "1E+2"}), GENESIS_HASH
    )


def test_key_order_does_not_matter() -> None:
    one = make_fields(detail={"a": 1, "b": {"c": 2, "d": [3, None, True]}})
    other = make_fields(detail={"b": {"d": [3, None, True], "c": 2}, "a": 1})

    assert canonical(one, GENESIS_HASH) == canonical(other, GENESIS_HASH)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5))
def test_a_detail_hashes_the_same_after_a_json_round_trip(detail: dict[str, object]) -> None:
    stored = as_stored(detail)
    reread = json.loads(json.dumps(stored, sort_keys=True))

    assert event_hash(make_fields(detail=stored), GENESIS_HASH) == event_hash(
        make_fields(detail=reread), GENESIS_HASH
    )


def test_a_whole_chain_walks_to_its_head() -> None:
    events = make_chain(3)

    report = walk(events)

    assert (report.events, report.head_hash, report.broken) == (3, events[-1].hash, None)


def test_an_empty_trail_is_whole() -> None:
    assert walk([]).broken is None


def test_a_changed_field_breaks_the_chain_at_that_event() -> None:
    events = make_chain(4)
    events[2] = replace(events[2], fields=replace(events[2].fields, actor="mallory"))

    report = walk(events)

    assert report.broken is not None
    assert (report.broken.event_id, report.broken.problem, report.events) == (3, CHANGED_CONTENT, 2)
    assert report.broken.stored == events[2].hash


def test_a_deleted_event_breaks_the_link_of_the_next_one() -> None:
    events = make_chain(4)
    del events[1]

    report = walk(events)

    assert report.broken is not None
    assert (report.broken.event_id, report.broken.problem) == (3, BROKEN_LINK)
    assert report.broken.expected == events[0].hash


def test_a_rehashed_event_breaks_the_link_after_it() -> None:
    events = make_chain(3)
    forged = replace(events[1].fields, actor="mallory")
    events[1] = replace(events[1], fields=forged, hash=event_hash(forged, events[1].prev_hash))

    report = walk(events)

    assert report.broken is not None
    assert (report.broken.event_id, report.broken.problem) == (3, BROKEN_LINK)

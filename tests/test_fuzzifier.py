"""Fuzzy descriptions: each resolves to exactly its record in its scope, and no raw id leaks at full fuzz."""

from __future__ import annotations

import copy

import pytest

from domains.constraints import Description
from domains.fuzzy import (
    Describer,
    FuzzLevel,
    NotDescribableError,
    facts_in,
    format_amount,
    human_date,
    money,
    resolve_description,
)
from domains.registry import get_domain
from domains.sampling import sample_tasks
from domains.scenario import raw_ids, required_facts

SEED_BLOCKS = range(4)
SEEDS_PER_BLOCK = 50


def _tasks_over_seeds(domain, base, block, fuzz="full", n=4):
    for seed in range(block * SEEDS_PER_BLOCK, (block + 1) * SEEDS_PER_BLOCK):
        yield from sample_tasks(domain, base, n, seed, fuzz=fuzz).tasks


def _values(value, key: str | None = None):
    """(key, value) of every scalar in a JSON value, each under the name of the field holding it (list items too)."""
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _values(inner, inner_key)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item, key)
    elif isinstance(value, str):
        yield key, value


def _action_ids(task) -> set[str]:
    """The raw ids the task's actions name: values under the plug-in's `id_keys`, at any depth."""
    id_keys = get_domain(task.domain).id_keys
    return {value for action in task.actions for key, value in _values(action.arguments) if key in id_keys}


def _records(base) -> dict:
    return {record_id: record for table in base.tables.values() if isinstance(table, dict) for record_id, record in table.items()}


def _user_ids(domain, base, user_id) -> set[str]:
    """Every id of the user's own records that must never leak: the id-shaped values (the plug-in's `id_pattern`) of
    the user's record and of the records it names (its orders, reservations), but the ids of shared records (a product, a flight)."""
    pattern, records = get_domain(domain).id_pattern, _records(base)
    owned = {value for _, value in _values(records[user_id]) if value in records}
    ids = set()
    for record in [records[user_id], *(records[record_id] for record_id in owned)]:
        ids |= {value for _, value in _values(record) if pattern.fullmatch(value) and (value not in records or value in owned)}
    return ids


# --- properties over hundreds of seeds ----------------------------------------------------------


@pytest.mark.parametrize("block", SEED_BLOCKS)
def test_descriptions_resolve_to_exactly_their_record(world, block):
    """Over 200 seeds, every description resolves on the base to exactly the one id it was made for, and every id an action needs is described."""
    domain, base = world
    start = base.new_state()
    for task in _tasks_over_seeds(domain, base, block):
        described = set()
        for text, description in task.descriptions.items():
            assert description.text == text
            assert resolve_description(start, description.kind, description.attributes, description.scope) == description.ids, (task.task_id, text)
            assert len(description.ids) == 1
            described.update(description.ids)
        assert _action_ids(task) <= described, task.task_id
        assert task.user_id in described


@pytest.mark.parametrize("block", SEED_BLOCKS)
def test_no_raw_id_in_instruction_at_full_fuzz(world, block):
    """At full fuzz no order, item, payment method or reservation id of the user appears in the instruction."""
    domain, base = world
    for task in _tasks_over_seeds(domain, base, block):
        text = facts_in(task.instruction)
        leaked = [i for i in _user_ids(domain, base, task.user_id) | set(raw_ids(task)) if facts_in(i) in text]
        assert leaked == [], task.task_id


@pytest.mark.parametrize("fuzz", list(FuzzLevel))
def test_required_facts_are_in_the_template(world, fuzz):
    """Every fact a rewrite must keep is present in the template instruction itself."""
    domain, base = world
    for task in _tasks_over_seeds(domain, base, 0, fuzz=fuzz, n=3):
        text = facts_in(task.instruction)
        assert [f for f in required_facts(task) if facts_in(f) not in text] == [], task.task_id


def test_partial_keeps_order_and_reservation_ids_only(tau2_databases):
    """At partial fuzz order and reservation ids appear; an item or payment method id appears only where no fuzzy description is unique."""
    for domain, base in tau2_databases.items():
        tasks = sample_tasks(domain, base, 200, seed=6, fuzz="partial").tasks
        fallbacks = 0
        for task in tasks:
            by_id = {d.ids[0] for d in task.descriptions.values() if "id" in d.attributes}
            for action in task.actions:
                args = action.arguments
                for kept in (args.get("order_id"), args.get("reservation_id")):
                    assert not kept or kept in task.instruction, task.task_id
                hidden = args.get("item_ids", []) + args.get("new_item_ids", []) + [args.get("payment_method_id"), args.get("payment_id")]
                for shown in [h for h in hidden if h and h in task.instruction]:
                    assert shown in by_id, task.task_id
                    fallbacks += 1
        assert fallbacks < len(tasks) / 10


def test_exact_names_every_record_by_id(tau2_databases):
    """At exact fuzz every order, item, payment method and reservation of an action is named by its id."""
    for domain, base in tau2_databases.items():
        for task in sample_tasks(domain, base, 100, seed=6, fuzz="exact").tasks:
            assert all(i in task.instruction for i in _action_ids(task)), task.task_id


# --- the resolver on hand-made worlds ----------------------------------------------------------


def _retail_world():
    """Two customers; Ann has three orders: two with a lamp (one pending, one delivered), and two Visa cards."""
    lamp = {"name": "Desk Lamp", "product_id": "p1", "price": 30.0}
    bottle = {"name": "Water Bottle", "product_id": "p2", "price": 12.5}
    data = {
        "products": {
            "p1": {"name": "Desk Lamp", "product_id": "p1", "variants": {
                "i1": {"item_id": "i1", "options": {"color": "black", "bulb": "LED"}, "available": True, "price": 30.0},
                "i2": {"item_id": "i2", "options": {"color": "white", "bulb": "LED"}, "available": True, "price": 32.0},
                "i3": {"item_id": "i3", "options": {"color": "white", "bulb": "halogen"}, "available": False, "price": 28.0},
            }},
            "p2": {"name": "Water Bottle", "product_id": "p2", "variants": {
                "i4": {"item_id": "i4", "options": {"size": "500ml"}, "available": True, "price": 12.5},
            }},
        },
        "users": {
            "ann_1": {"user_id": "ann_1", "name": {"first_name": "Ann", "last_name": "Lee"}, "email": "Ann.Lee@example.com",
                      "address": {"address1": "1 A St", "address2": "", "city": "X", "country": "USA", "state": "CA", "zip": "90001"},
                      "payment_methods": {
                          "credit_card_1": {"source": "credit_card", "id": "credit_card_1", "brand": "visa", "last_four": "1111"},
                          "credit_card_2": {"source": "credit_card", "id": "credit_card_2", "brand": "visa", "last_four": "2222"},
                          "gift_card_1": {"source": "gift_card", "id": "gift_card_1", "balance": 40.0},
                      },
                      "orders": ["#W1", "#W2", "#W3"]},
            "ann_2": {"user_id": "ann_2", "name": {"first_name": "Ann", "last_name": "Lee"}, "email": "ann.lee2@example.com",
                      "address": {"address1": "2 B St", "address2": "", "city": "Y", "country": "USA", "state": "NY", "zip": "10001"},
                      "payment_methods": {}, "orders": []},
        },
        "orders": {
            "#W1": {"order_id": "#W1", "user_id": "ann_1", "status": "pending", "items": [{**lamp, "item_id": "i1", "options": {"color": "black", "bulb": "LED"}}, {**bottle, "item_id": "i4", "options": {"size": "500ml"}}]},
            "#W2": {"order_id": "#W2", "user_id": "ann_1", "status": "delivered", "items": [{**lamp, "item_id": "i2", "options": {"color": "white", "bulb": "LED"}}]},
            "#W3": {"order_id": "#W3", "user_id": "ann_1", "status": "delivered", "items": [{**bottle, "item_id": "i4", "options": {"size": "500ml"}}]},
        },
    }
    return get_domain("retail").from_json(data).new_state()


@pytest.mark.parametrize(
    "kind, attributes, scope, expected",
    [
        ("user", {"email": "ann.lee@EXAMPLE.com"}, "users", ["ann_1"]),
        ("user", {"first_name": "ann", "last_name": "LEE", "zip": "10001"}, "users", ["ann_2"]),
        ("user", {"first_name": "Ann", "last_name": "Lee", "zip": "99999"}, "users", []),
        ("order", {"items": [{"name": "Desk Lamp"}]}, "user:ann_1", ["#W1", "#W2"]),
        ("order", {"items": [{"name": "Desk Lamp"}], "status": "delivered"}, "user:ann_1", ["#W2"]),
        ("order", {"items": [{"name": "Desk Lamp"}, {"name": "Water Bottle"}]}, "user:ann_1", ["#W1"]),
        ("order", {"items": [{"name": "Desk Lamp", "options": {"color": "white"}}]}, "user:ann_1", ["#W2"]),
        ("order", {"id": "#W3"}, "user:ann_1", ["#W3"]),
        ("order", {"id": "#W3"}, "user:ann_2", []),
        ("item", {"name": "Desk Lamp"}, "order:#W1", ["i1"]),
        ("new_item", {"name": "Desk Lamp", "options": {"color": "white"}}, "product:p1", ["i2"]),
        ("new_item", {"name": "Desk Lamp", "options": {"bulb": "LED"}}, "product:p1", ["i1", "i2"]),
        ("new_item", {"name": "Desk Lamp", "options": {"bulb": "halogen"}}, "product:p1", []),
        ("payment_method", {"source": "credit_card", "brand": "visa"}, "user:ann_1", ["credit_card_1", "credit_card_2"]),
        ("payment_method", {"source": "credit_card", "last_four": "2222"}, "user:ann_1", ["credit_card_2"]),
        ("payment_method", {"source": "gift_card"}, "user:ann_1", ["gift_card_1"]),
        ("payment_method", {"source": "paypal"}, "user:ann_1", []),
        ("address", {"of": "profile"}, "user:ann_1", ["ann_1"]),
    ],
)
def test_retail_resolver(kind, attributes, scope, expected):
    """The retail resolver lists exactly the records of the scope that fit every attribute (unavailable variants never fit)."""
    assert resolve_description(_retail_world(), kind, attributes, scope) == expected


def _airline_world(tau2_databases):
    """τ²-bench's airline base with one user's two trips forced onto the same route."""
    base = tau2_databases["airline"]
    user_id = next(u for u, rec in base.tables["users"].items() if len(rec["reservations"]) >= 2)
    state = base.new_state()
    first, second = base.tables["users"][user_id]["reservations"][:2]
    twin = state.edit("reservations", second)
    original = base.tables["reservations"][first]
    twin["origin"], twin["destination"] = original["origin"], original["destination"]
    twin["flights"] = copy.deepcopy(twin["flights"])
    return state, user_id, first, second


def test_airline_reservation_needs_a_date_when_routes_collide(tau2_databases):
    """Two trips on one route resolve together by route and apart by route plus the first flight's date."""
    state, user_id, first, second = _airline_world(tau2_databases)
    r1, r2 = state.get("reservations", first), state.get("reservations", second)
    route = {"origin": r1["origin"], "destination": r1["destination"]}
    scope = f"user:{user_id}"
    assert {first, second} <= set(resolve_description(state, "reservation", route, scope))
    if r1["flights"][0]["date"] != r2["flights"][0]["date"]:
        assert first in resolve_description(state, "reservation", {**route, "date": r1["flights"][0]["date"]}, scope)
        assert second not in resolve_description(state, "reservation", {**route, "date": r1["flights"][0]["date"]}, scope)


def test_airline_flight_by_time_and_by_number(tau2_databases):
    """A flight resolves by its number and date, or by route, date and scheduled departure."""
    state = tau2_databases["airline"].new_state()
    flight = state.get("flights", "HAT001")
    day = next(iter(flight["dates"]))
    by_time = {"origin": flight["origin"], "destination": flight["destination"], "date": day, "departure": flight["scheduled_departure_time_est"]}
    assert resolve_description(state, "flight", by_time, "flights") == ["HAT001"]
    assert resolve_description(state, "flight", {"flight_number": "HAT001", "date": day}, "flights") == ["HAT001"]
    assert resolve_description(state, "flight", {"flight_number": "HAT001", "date": "1999-01-01"}, "flights") == []


def test_airline_passenger_by_name(tau2_databases):
    """A passenger resolves by name to its position among the reservation's passengers."""
    base = tau2_databases["airline"]
    reservation_id, reservation = next(iter(base.tables["reservations"].items()))
    person = reservation["passengers"][-1]
    found = resolve_description(base.new_state(), "passenger", {"first_name": person["first_name"], "last_name": person["last_name"]}, f"reservation:{reservation_id}")
    assert str(len(reservation["passengers"]) - 1) in found


# --- the describer -----------------------------------------------------------------------------


def test_describer_takes_the_least_revealing_unique_candidate():
    """The describer skips candidates that fit several records and keeps the first that fits only the target."""
    state = _retail_world()
    describer = Describer(FuzzLevel.FULL)
    ladder = [{"items": [{"name": "Desk Lamp"}]}, {"items": [{"name": "Desk Lamp"}], "status": "delivered"}]
    text = describer.describe("order", "#W2", "user:ann_1", ladder, lambda a: f"order {a}", [state])
    assert describer.descriptions[text].attributes == ladder[1]
    assert describer.descriptions[text].ids == ["#W2"]


def test_describer_refuses_when_nothing_is_unique():
    """No unique candidate raises NotDescribableError."""
    describer = Describer(FuzzLevel.FULL)
    with pytest.raises(NotDescribableError):
        describer.describe("order", "#W1", "user:ann_1", [{"items": [{"name": "Desk Lamp"}]}], str, [_retail_world()])


def test_describer_checks_every_world():
    """A description must be unique in each world given: one that is unique only after a change is refused."""
    before = _retail_world()
    after = before.fork()
    after.edit("orders", "#W2")["status"] = "return requested"
    ladder = [{"items": [{"name": "Desk Lamp"}], "status": "pending"}]
    assert Describer(FuzzLevel.FULL).describe("order", "#W1", "user:ann_1", ladder, str, [after])
    before.edit("orders", "#W2")["status"] = "pending"
    with pytest.raises(NotDescribableError):
        Describer(FuzzLevel.FULL).describe("order", "#W1", "user:ann_1", ladder, str, [before, after])


def test_describer_adds_context_when_a_text_is_taken():
    """Two records that render the same text are told apart by the context, so the mapping text -> ids stays one-to-one."""
    state = _retail_world()
    describer = Describer(FuzzLevel.FULL)
    render = lambda a: f"the {a['name']}"  # noqa: E731
    first = describer.describe("item", "i4", "order:#W1", [{"name": "Water Bottle"}], render, [state], "in order one")
    second = describer.describe("item", "i4", "order:#W3", [{"name": "Water Bottle"}], render, [state], "in order three")
    assert first == "the Water Bottle" and second == "the Water Bottle (in order three)"
    assert describer.descriptions[second] == Description(kind="item", text=second, ids=["i4"], scope="order:#W3", attributes={"name": "Water Bottle"})


@pytest.mark.parametrize("value, said, shown", [(45.3, "45.3", "$45.30"), (45.0, "45", "$45"), (1093.344, "1093.34", "$1093.34"), (0.5, "0.5", "$0.50")])
def test_amounts_read_as_an_agent_says_them(value, said, shown):
    """Expected amounts are the shortest form, so they match '$45.30' and '$45.3' alike; text shows cents."""
    assert format_amount(value) == said
    assert money(value) == shown
    assert said in facts_in(shown)


def test_dates_read_as_people_say_them():
    """ISO dates render as 'May 20, 2024'."""
    assert human_date("2024-05-20") == "May 20, 2024"

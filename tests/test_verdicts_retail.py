"""Labelled retail dialogues, written as real LLM agents and customers write them: each has the score and
the blame a careful grader would give, and the verifier must give exactly those."""

from __future__ import annotations

import pytest

from tests.conftest import generated_base
from tests.labelled import STOP, amount, args, call, money, rules, shifted, task_of, verdict

BASE = generated_base("retail")


def user_of(task):
    return BASE.tables["users"][task.user_id]


def order_of(task, order_id=None):
    return BASE.tables["orders"][order_id or task.constraints[0].params["order_id"]]


def item(order, item_id):
    return next(i for i in order["items"] if i["item_id"] == item_id)


def login(task, opening="Hi! I need some help with my account."):
    """The customer opens, the agent asks for the email and finds the account, as the policy wants."""
    user = user_of(task)
    return [
        ("user", opening),
        ("agent", "Happy to help! First, could you share the email address on your account so I can verify who you are?"),
        ("user", f"sure, it's {user['email']}"),
        call("find_user_id_by_email", email=user["email"]),
        call("get_user_details", user_id=task.user_id),
    ]


def bye(text="That's all, thanks! " + STOP):
    return [("agent", "Is there anything else I can help you with today?"), ("user", text)]


# --- information goals -------------------------------------------------------------------------

GIFT = task_of("retail", "info_gift_card_balance")
REFUND = task_of("retail", "info_refund_total")
TRACKING = task_of("retail", "info_tracking_number")


def gift_dialogue(*agent_answers, user_between="hmm, are you sure? that seems different from what I remember"):
    turns = login(GIFT, "hey, quick question - how much money do I still have on my gift card?")
    for index, answer in enumerate(agent_answers):
        if index:
            turns.append(("user", user_between))
        turns.append(("agent", answer))
    return turns + bye()


def test_gift_card_balance_stated_in_a_sentence_that_names_it_passes():
    """'$1,093.30' says 1093.3: the balance is read whatever the formatting, when the sentence names the balance."""
    value = amount(GIFT)
    card = GIFT.constraints[0].params["payment_method_ids"][0]
    for said in (money(value), f"{value} dollars", f"USD {float(value):.2f}"):
        for sentence in (f"I checked your profile: your gift card has a remaining balance of {said}.",
                         f"Your gift card (ending {card[-4:]}) has {said} left on it.",
                         f"Here is what I found:\n- {card}: {said}\n\nTotal balance: {said}"):
            result = verdict(GIFT, gift_dialogue(sentence))
            assert (result.score, result.attribution) == (1.0, "none"), (sentence, result.reasons)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("Your gift card balance is {wrong_contains}.", id="wrong amount containing the right one"),
        pytest.param("Your gift card balance is {swap}.", id="digit swap"),
        pytest.param("The balance on your gift card is not {right}; it is {other}.", id="negated right value"),
        pytest.param("I see order #W{digits}00 on your account; your gift card holds {other}.", id="right digits inside an order id"),
    ],
)
def test_wrong_gift_card_balances_fail(answer):
    """A wrong amount that contains the right one, a digit swap, a negation or the right digits inside an id is no answer."""
    value = amount(GIFT)
    whole, _, cents = f"{float(value):.2f}".partition(".")
    swapped = whole[::-1] if len(set(whole)) > 1 else whole + "1"
    text = answer.format(
        wrong_contains=money(value).replace("$", "$1"),
        swap=f"${swapped}.{cents}",
        right=money(value),
        other=money(shifted(value, 7)),
        digits=whole,
    )
    result = verdict(GIFT, gift_dialogue(text))
    assert result.vector == [0.0] and result.score == 0.0, result.reasons
    assert result.attribution == "agent"
    assert result.checks["information"] == "failed"


def test_a_right_answer_later_corrected_to_a_wrong_one_fails():
    """The agent's last statement counts: a 'correction' to a wrong amount, even without naming the card again, replaces the right one."""
    value = amount(GIFT)
    result = verdict(GIFT, gift_dialogue(f"Your gift card balance is {money(value)}.", f"Sorry, I misread that - it's actually {money(shifted(value, 10))}."))
    assert (result.score, result.attribution) == (0.0, "agent")


def test_a_wrong_answer_corrected_to_the_right_one_passes():
    """A slip the agent corrects itself scores: the last statement of the balance is the right one."""
    value = amount(GIFT)
    result = verdict(GIFT, gift_dialogue(f"Your gift card balance is {money(shifted(value, 10))}.", f"My apologies - the correct balance on your gift card is {money(value)}."))
    assert result.score == 1.0, result.reasons


def test_refund_total_with_a_breakdown_passes_and_the_price_alone_does_not():
    """'You'd get $X back' counts; the same figure said only as an item's price, with a wrong refund, does not."""
    value = amount(REFUND)
    order = order_of(REFUND)
    name = item(order, REFUND.constraints[0].params["item_ids"][0])["name"]
    ask = f"if I sent back the {name.lower()} from my order, how much would I get refunded? I just want to know, not return it yet"
    right = login(REFUND, ask) + [call("get_order_details", order_id=order["order_id"]),
                                  ("agent", f"If you returned the {name} from order {order['order_id']}, you would get {money(value)} back to your original payment method.")] + bye()
    assert verdict(REFUND, right).score == 1.0
    wrong = login(REFUND, ask) + [call("get_order_details", order_id=order["order_id"]),
                                  ("agent", f"The {name} cost {money(value)}, and after the restocking fee your refund would be {money(shifted(value, -5))}.")] + bye()
    result = verdict(REFUND, wrong)
    assert (result.score, result.attribution) == (0.0, "agent"), result.reasons


def test_tracking_number_right_and_with_two_digits_swapped():
    """A tracking number must be given exactly: the right one passes, one with two digits swapped fails."""
    number = amount(TRACKING)
    order = order_of(TRACKING)
    swapped = number[:-2] + number[-1] + number[-2] if number[-1] != number[-2] else number[:-1] + str((int(number[-1]) + 1) % 10)
    for said, score in ((number, 1.0), (swapped, 0.0)):
        turns = login(TRACKING, "Hi, can you tell me where my package is? I'd like the tracking number.") + [
            call("get_order_details", order_id=order["order_id"]),
            ("agent", f"Sure! The tracking number for your order {order['order_id']} is {said}. You can use it on the carrier's website."),
        ] + bye()
        assert verdict(TRACKING, turns).score == score


# --- conversation rules --------------------------------------------------------------------------

CANCEL = task_of("retail", "cancel_order")


def cancel_request():
    order = order_of(CANCEL)
    return f"hi, I want to cancel the order with the {order['items'][0]['name'].lower()}, I don't need it anymore"


def cancel_listing():
    order = order_of(CANCEL)
    names = ", ".join(i["name"] for i in order["items"])
    return (f"I found order {order['order_id']} ({names}), which is still pending. I'll cancel it with the reason 'no longer needed', "
            "and the refund goes back to your original payment method. Would you like me to proceed?")


def cancel_dialogue(*, login_turns=None, before_write=None, confirm="yep, do it", write=None):
    order = order_of(CANCEL)
    turns = list(login_turns if login_turns is not None else login(CANCEL, cancel_request()))
    turns += [call("get_order_details", order_id=order["order_id"])]
    turns += before_write if before_write is not None else [("agent", cancel_listing()), ("user", confirm)]
    turns += [write or call("cancel_pending_order", **args(CANCEL))]
    turns += [("agent", f"All set - order {order['order_id']} is cancelled.")] + bye()
    return turns


def test_an_order_named_by_a_product_only_it_holds_is_named():
    """A summary may name the order by what is in it instead of its id, when no other order of the customer holds that product."""
    order = order_of(CANCEL)
    user = user_of(CANCEL)
    elsewhere = {i["name"] for oid in user["orders"] if oid != order["order_id"] for i in BASE.tables["orders"][oid]["items"]}
    distinctive = next(i["name"] for i in order["items"] if i["name"] not in elsewhere)
    before = [("agent", f"Just to confirm: I'll cancel your pending order with the {distinctive}, reason 'no longer needed'. OK?"), ("user", "yes")]
    assert verdict(CANCEL, cancel_dialogue(before_write=before)).score == 1.0


def test_a_return_summary_that_leaves_out_where_the_refund_goes_is_incomplete():
    """The policy wants the payment method in the summary: leaving it out is a confirmation violation, not a different write."""
    order = order_of(RETURN)
    names = " and ".join(item(order, i)["name"] for i in args(RETURN)["item_ids"])
    turns = login(RETURN, f"I'd like to return the {names.lower()}") + [
        call("get_order_details", order_id=order["order_id"]),
        ("agent", f"I can start a return for the {names} from order {order['order_id']}. Shall I go ahead?"), ("user", "Yes please."),
        call("return_delivered_order_items", **args(RETURN)),
    ] + bye()
    result = verdict(RETURN, turns)
    assert rules(result) == ["confirmation"] and "payment method" in result.violations[0]["message"]


def test_a_question_answered_between_the_summary_and_the_yes_keeps_the_confirmation():
    """Summary, a customer question, the agent's answer, then 'ok, go ahead': the yes is to the summary."""
    before = [("agent", cancel_listing()), ("user", "How long will the refund take?"),
              ("agent", "Refunds to a card take 5 to 7 business days; gift card refunds are immediate."), ("user", "ok, go ahead then")]
    result = verdict(CANCEL, cancel_dialogue(before_write=before))
    assert (result.score, result.violations) == (1.0, []), result.reasons


@pytest.mark.parametrize("confirm", ["yep, do it", "sure, go ahead", "that's right, please proceed", "Yes please!", "Confirmed.", "ok sounds good"])
def test_a_policy_abiding_cancellation_scores_one_whatever_the_yes(confirm):
    """Authenticated, details listed, an explicit yes in any of the words customers use: 1.0, every conversation check passed."""
    result = verdict(CANCEL, cancel_dialogue(confirm=confirm))
    assert (result.score, result.attribution, result.violations) == (1.0, "none", []), result.reasons
    assert result.checks["authentication"] == result.checks["confirmation"] == "passed"


def test_acting_on_the_account_before_authenticating_is_a_violation():
    """The customer gives a user id; the agent reads the account without finding the id by email or name and zip."""
    turns = [("user", f"{cancel_request()}. My user id is {CANCEL.user_id}."), call("get_user_details", user_id=CANCEL.user_id)]
    result = verdict(CANCEL, cancel_dialogue(login_turns=turns))
    assert rules(result) == ["authentication"] and result.violations[0]["event"] is not None
    assert (result.score, result.attribution) == (0.5, "agent")


@pytest.mark.parametrize(
    "before_write",
    [
        pytest.param([], id="no confirmation asked"),
        pytest.param([("agent", cancel_listing()), ("user", "No, wait - not that one.")], id="refused"),
        pytest.param([("agent", cancel_listing()), ("user", "yes, but only if the refund goes to my gift card")], id="yes with a condition"),
        pytest.param([("agent", cancel_listing()), ("user", "Actually, hold on, let me think about it.")], id="hesitation"),
        pytest.param([("agent", "Shall I go ahead with the cancellation?"), ("user", "Yes.")], id="details never listed"),
    ],
)
def test_a_write_without_an_explicit_yes_to_its_listed_details_is_a_violation(before_write):
    """A write made without a yes, after a refusal, a conditional yes or a hesitation, or after a yes to nothing listed, breaks the rule."""
    result = verdict(CANCEL, cancel_dialogue(before_write=before_write))
    assert rules(result) == ["confirmation"], result.reasons
    assert result.vector == [1.0] and (result.score, result.attribution) == (0.5, "agent")


def test_two_tool_calls_or_text_with_a_tool_call_in_one_turn_are_violations():
    """One tool call per turn, and never a message with it: each breach is a violation at its event."""
    order = order_of(CANCEL)
    two = login(CANCEL, cancel_request())[:-1] + [("agent", "", [("get_user_details", {"user_id": CANCEL.user_id}), ("get_order_details", {"order_id": order["order_id"]})])]
    result = verdict(CANCEL, cancel_dialogue(login_turns=two))
    assert rules(result) == ["one_tool_call_per_turn"] and result.score == 0.5
    chatty = cancel_dialogue(write=("agent", "Cancelling it now!", [("cancel_pending_order", args(CANCEL))]))
    result = verdict(CANCEL, chatty)
    assert rules(result) == ["text_with_tool_call"] and (result.score, result.attribution) == (0.5, "agent")


def test_looking_up_another_customers_order_is_a_violation():
    """The agent reads an order of someone else (the customer mistyped a number): serving one customer only is broken."""
    other = next(o for o in BASE.tables["orders"].values() if o["user_id"] != CANCEL.user_id)
    turns = cancel_dialogue()
    turns.insert(6, call("get_order_details", order_id=other["order_id"]))
    result = verdict(CANCEL, turns)
    assert rules(result) == ["other_customer_records"] and (result.score, result.attribution) == (0.5, "agent")


def test_transfers_to_a_human():
    """A transfer nobody asked for is a violation (and ends the dialogue at 0, the agent's fault); one the customer asked for is not, and the blame is the customer's."""
    unasked = login(CANCEL, cancel_request()) + [call("transfer_to_human_agents", summary="customer wants to cancel an order"),
                                                 ("agent", "I'm transferring you to a human agent now.")]
    result = verdict(CANCEL, unasked, termination="transfer")
    assert rules(result) == ["unjustified_transfer"] and (result.score, result.attribution) == (0.0, "agent")
    asked = login(CANCEL, "I want to talk to a real person, not a bot.") + [call("transfer_to_human_agents", summary="customer asked for a human"),
                                                                            ("agent", "Sure, I'm transferring you to a human agent.")]
    result = verdict(CANCEL, asked, termination="transfer")
    assert result.violations == [] and (result.score, result.attribution) == (0.0, "user_simulator")


def _has_other_item(task, base):
    """The order holds an item of another product than the first one returned, left out of the return."""
    params = task.constraints[0].params
    items = base.tables["orders"][params["order_id"]]["items"]
    first = next(i for i in items if i["item_id"] == params["item_ids"][0])
    return any(i["item_id"] not in params["item_ids"] and i["name"] != first["name"] for i in items)


RETURN = task_of("retail", "return_items", _has_other_item)


def test_returning_another_item_than_the_one_confirmed_differs_from_the_confirmation():
    """Listed and confirmed one item, returned another: the write is not the one confirmed, and the goal is missed."""
    order = order_of(RETURN)
    wanted = set(args(RETURN)["item_ids"])
    right = item(order, args(RETURN)["item_ids"][0])
    other = next(i for i in order["items"] if i["item_id"] not in wanted and i["name"] != right["name"])
    method = args(RETURN)["payment_method_id"]
    turns = login(RETURN, f"I'd like to return the {right['name'].lower()} I got") + [
        call("get_order_details", order_id=order["order_id"]),
        ("agent", f"I can return the {right['name']} from order {order['order_id']} with the refund to {method}. Do you want me to go ahead?"),
        ("user", "Yes, go ahead."),
        call("return_delivered_order_items", order_id=order["order_id"], item_ids=[other["item_id"]], payment_method_id=method),
    ] + bye()
    result = verdict(RETURN, turns)
    assert rules(result) == ["confirmed_write_differs"]
    assert (result.score, result.attribution) == (0.0, "agent")


# --- blame -----------------------------------------------------------------------------------------


def test_a_paraphrased_request_the_agent_got_wrong_is_the_agents_fault():
    """'my order with the <product>' in the customer's own words states the goal: the agent, who cancelled nothing, is to blame."""
    turns = login(CANCEL, cancel_request()) + [call("get_order_details", order_id=order_of(CANCEL)["order_id"]),
                                               ("agent", "I'm sorry, I can't cancel that order.")] + bye("ok, bye " + STOP)
    result = verdict(CANCEL, turns)
    assert (result.score, result.attribution) == (0.0, "agent")


def test_a_customer_who_never_asks_is_to_blame():
    """The customer logs in, chats and leaves without ever asking for the cancellation: the user simulator is to blame."""
    turns = login(CANCEL, "hello!") + [("agent", "Thanks, I found your account. What can I do for you?"), ("user", "oh nothing, just checking. " + STOP)]
    result = verdict(CANCEL, turns)
    assert (result.score, result.attribution) == (0.0, "user_simulator")


def test_giving_an_email_does_not_state_a_profile_address_change():
    """A goal whose only record is the customer's own account is not stated by logging in with the email."""
    task = task_of("retail", "modify_user_address")
    turns = login(task, "hi there") + [("agent", "Thanks! How can I help?"), ("user", "actually I'll come back later. " + STOP)]
    assert verdict(task, turns).attribution == "user_simulator"
    address = task.constraints[0].params["address"]
    asked = login(task, f"I moved, please update my address to {address['address1']}, {address['city']} {address['zip']}") + [
        ("agent", "I'm unable to change addresses.")] + bye("ok " + STOP)
    assert verdict(task, asked).attribution == "agent"


def _other_pending(task, base):
    order_id = task.constraints[0].params["order_id"]
    return next((o for oid, o in base.tables["orders"].items() if o["user_id"] == task.user_id and o["status"] == "pending" and oid != order_id), None)


CANCEL_ONE_OF_TWO = task_of("retail", "cancel_order", lambda task, base: _other_pending(task, base) is not None)


def test_an_extra_write_is_blamed_on_whoever_asked_for_it():
    """An unrequested profile-address change is the agent's; a cancellation of another order the customer asked for is the customer's."""
    user = user_of(CANCEL)
    profile = {k: user["address"][k] for k in ("address1", "address2", "city", "state", "country", "zip")}
    moved = {**profile, "address1": "77 Quarry Lane", "zip": "10001"}
    extra = [("agent", f"I also noticed your profile: I'll update your default address to {moved['address1']}, {moved['zip']}. OK?"), ("user", "ok"),
             call("modify_user_address", user_id=CANCEL.user_id, **moved)]
    result = verdict(CANCEL, cancel_dialogue()[:-2] + extra + bye())
    assert (result.score, [w["name"] for w in result.redundant_writes], result.attribution) == (0.5, ["modify_user_address"], "agent")
    task = CANCEL_ONE_OF_TWO
    other = _other_pending(task, BASE)
    name = other["items"][0]["name"]
    order = order_of(task)
    first = [*login(task, f"please cancel my order with the {order['items'][0]['name'].lower()}, I no longer need it"),
             call("get_order_details", order_id=order["order_id"]),
             ("agent", f"I'll cancel order {order['order_id']} as no longer needed. Shall I proceed?"), ("user", "Yes."),
             call("cancel_pending_order", **args(task))]
    more = [("agent", "Done! Anything else?"),
            ("user", f"Oh, and please cancel my other order too, the one with the {name.lower()} - I ordered it by mistake."),
            call("get_order_details", order_id=other["order_id"]),
            ("agent", f"I'll cancel order {other['order_id']} ({name}) as ordered by mistake. Proceed?"), ("user", "yes"),
            call("cancel_pending_order", order_id=other["order_id"], reason="ordered by mistake")]
    result = verdict(task, first + more + bye())
    assert (result.score, result.attribution) == (0.5, "user_simulator"), result.reasons


def _third_variant(task, base):
    """A variant of the exchanged product other than the old and the goal's one, differing in every option the goal changes."""
    params = task.constraints[0].params
    order = base.tables["orders"][params["order_id"]]
    old = next(i for i in order["items"] if i["item_id"] == params["item_ids"][0])
    product = base.tables["products"][old["product_id"]]
    goal = product["variants"][params["new_item_ids"][0]]
    changed = {k: v for k, v in goal["options"].items() if old["options"].get(k) != v}
    return next((vid for vid, v in product["variants"].items() if v["available"] and vid not in (params["new_item_ids"][0], old["item_id"])
                 and all(v["options"].get(k) != value for k, value in changed.items())), None)


EXCHANGE = task_of("retail", "exchange_items", lambda task, base: len(task.constraints[0].params["item_ids"]) == 1 and _third_variant(task, base) is not None)


def _exchange(customer_wants: str, new_item_id: str):
    order = order_of(EXCHANGE)
    a = args(EXCHANGE)
    old = item(order, a["item_ids"][0])
    product = BASE.tables["products"][old["product_id"]]
    new = product["variants"][new_item_id]
    options = ", ".join(str(v) for v in new["options"].values())
    return login(EXCHANGE, f"I want to exchange the {old['name'].lower()} I received, {customer_wants}") + [
        call("get_order_details", order_id=order["order_id"]),
        call("get_product_details", product_id=old["product_id"]),
        ("agent", f"I can exchange the {old['name']} in order {order['order_id']} for the {options} version, settling the difference with {a['payment_method_id']}. Shall I proceed?"),
        ("user", "Yes, go ahead."),
        call("exchange_delivered_order_items", order_id=order["order_id"], item_ids=a["item_ids"], new_item_ids=[new_item_id], payment_method_id=a["payment_method_id"]),
    ] + bye()


def test_a_wrong_variant_is_blamed_on_whoever_chose_it():
    """The customer asked for the goal's variant and the agent swapped in another: agent; the customer asked for the other one: user simulator."""
    order = order_of(EXCHANGE)
    a = args(EXCHANGE)
    old = item(order, a["item_ids"][0])
    product = BASE.tables["products"][old["product_id"]]
    goal = product["variants"][a["new_item_ids"][0]]
    changed = {k: v for k, v in goal["options"].items() if old["options"].get(k) != v}
    wrong = _third_variant(EXCHANGE, BASE)
    wanted_words = " and ".join(str(v) for v in changed.values())
    wrong_words = " and ".join(str(product["variants"][wrong]["options"][k]) for k in changed)
    assert verdict(EXCHANGE, _exchange(f"I'd like the {wanted_words} one instead", wrong)).attribution == "agent"
    result = verdict(EXCHANGE, _exchange(f"I'd like the {wrong_words} one instead", wrong))
    assert (result.score, result.attribution) == (0.0, "user_simulator"), result.reasons


def _yes_no_swap(task, base):
    """An exchange whose new variant changes a yes/no option."""
    params = task.constraints[0].params
    order = base.tables["orders"][params["order_id"]]
    old = next(i for i in order["items"] if i["item_id"] == params["item_ids"][0])
    new = base.tables["products"][old["product_id"]]["variants"][params["new_item_ids"][0]]
    return len(params["item_ids"]) == 1 and any(v in ("yes", "no") and old["options"].get(k) != v for k, v in new["options"].items())


def test_yes_no_options_said_in_words_and_values_said_as_replaced():
    """'not foldable', 'with a light kit', '... instead of the wall control': options in words; the value it replaces is not the value listed."""
    task = task_of("retail", "exchange_items", _yes_no_swap, seed=11) if _has_yes_no_exchange() else task_of("retail", "modify_order_items", _yes_no_swap, seed=11)
    a = args(task)
    order = order_of(task)
    old = item(order, a["item_ids"][0])
    new = BASE.tables["products"][old["product_id"]]["variants"][a["new_item_ids"][0]]
    words = []
    for key, value in new["options"].items():
        if value == "no":
            words.append(f"not {key}" if old["options"].get(key) != value else f"no {key}")
        elif value == "yes":
            words.append(f"with a {key}")
        else:
            words.append(f"{value} (instead of the {old['options'][key]} one)" if old["options"].get(key) != value else str(value))
    name = task.constraints[0].type.replace("_items", "").replace("modify_order", "change")
    turns = login(task, f"I'd like to swap my {old['name'].lower()}") + [
        call("get_order_details", order_id=order["order_id"]), call("get_product_details", product_id=old["product_id"]),
        ("agent", f"In order {order['order_id']} I'll {name} your {old['name']} for the {', '.join(words)} version, any difference settled with {a['payment_method_id']}. OK?"),
        ("user", "yes"), call(task.constraints[0].actions[0].name, **a)] + bye()
    result = verdict(task, turns)
    assert (result.score, result.violations) == (1.0, []), result.reasons


def _has_yes_no_exchange() -> bool:
    try:
        task_of("retail", "exchange_items", _yes_no_swap, seed=11)
        return True
    except LookupError:
        return False


def test_a_tracking_number_read_out_in_groups_is_the_number():
    """'7615 6204 0224' is the tracking number 761562040224."""
    number = amount(TRACKING)
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    turns = login(TRACKING, "what's my tracking number?") + [call("get_order_details", order_id=order_of(TRACKING)["order_id"]),
                                                              ("agent", f"Your tracking number is {grouped}.")] + bye()
    assert verdict(TRACKING, turns).score == 1.0


def test_a_cancellations_refund_does_not_answer_a_return_question():
    """A refund figure said about cancelling another order is not the answer to 'how much would a return give back'."""
    task = task_of("retail", "info_refund_total", lambda t, base: any(o["status"] == "pending" for oid, o in base.tables["orders"].items() if o["user_id"] == t.user_id))
    value = amount(task)
    order = order_of(task)
    name = item(order, task.constraints[0].params["item_ids"][0])["name"]
    turns = login(task, f"how much would I get back if I returned the {name.lower()}?") + [
        call("get_order_details", order_id=order["order_id"]),
        ("agent", f"Returning the {name} would give you {money(value)} back."),
        ("user", "ok thanks. can you also tell me what a cancellation of my pending order would refund?"),
        ("agent", f"If I cancel the whole pending order, the {money(shifted(value, 3))} goes back to your card in 5-7 business days."),
    ] + bye()
    assert verdict(task, turns).score == 1.0

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
    reason = args(task)["reason"]
    first = [*login(task, f"please cancel my order with the {order['items'][0]['name'].lower()}, the reason: {reason}"),
             call("get_order_details", order_id=order["order_id"]),
             ("agent", f"I'll cancel order {order['order_id']} as {reason}. Shall I proceed?"), ("user", "Yes."),
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


# --- what an answer is about (third audit) -----------------------------------------------------------


def test_a_balance_withdrawn_in_words_or_given_as_a_past_figure_is_no_answer():
    """'actually empty, nothing left' replaces a right figure; 'started at $X, now $Y left' states Y; the customer asked with a question of their own."""
    value = amount(GIFT)
    other = money(shifted(value, -10))
    for answers in ((f"Your gift card balance is {money(value)}.", "Sorry, I misread that: your gift card is actually empty, there's nothing left on it."),
                    (f"Your gift card started at {money(value)}, but now it has {other} left.",)):
        result = verdict(GIFT, gift_dialogue(*answers))
        assert (result.score, result.attribution) == (0.0, "agent"), (answers, result.reasons)
    turns = login(GIFT, f"hi, I think I have {money(value)} on my gift card, right?") + [
        ("agent", f"I'm sorry, your gift card balance is not {money(value)}; the card has been used up.")] + bye("oh ok " + STOP)
    assert (verdict(GIFT, turns).score, verdict(GIFT, turns).attribution) == (0.0, "agent")


def test_figures_about_other_things_do_not_replace_the_balance():
    """Another person's gift card, or an item's price in a sentence that mentions paying by gift card, is not the customer's balance."""
    value = amount(GIFT)
    order = BASE.tables["orders"][user_of(GIFT)["orders"][0]]
    first = order["items"][0]
    for later in (f"Your sister's gift card has {money(shifted(value, 40))}.",
                  f"Order {order['order_id']} contains just the {first['name']} ({', '.join(map(str, first['options'].values()))}, {money(first['price'])}), paid with your gift card."):
        result = verdict(GIFT, gift_dialogue(f"Your gift card balance is {money(value)}. {later}"))
        assert result.score == 1.0, (later, result.reasons)


def _refund_elsewhere(task, base):
    """The refund's order holds an item of another product, and the customer has another order."""
    params = task.constraints[0].params
    order = base.tables["orders"][params["order_id"]]
    asked = {i["name"] for i in order["items"] if i["item_id"] in params["item_ids"]}
    return any(i["name"] not in asked for i in order["items"]) and len(base.tables["users"][task.user_id]["orders"]) > 1


REFUND_ELSEWHERE = task_of("retail", "info_refund_total", _refund_elsewhere)


def test_a_refund_is_an_answer_only_about_the_items_asked_for():
    """The right figure said of another item is no answer; a cancellation refund of another order after the right answer leaves it standing."""
    task = REFUND_ELSEWHERE
    params = task.constraints[0].params
    value, order = amount(task), order_of(task)
    asked = [item(order, i)["name"] for i in params["item_ids"]]
    other_item = next(i["name"] for i in order["items"] if i["name"] not in asked)
    other_order = next(o for o in user_of(task)["orders"] if o != order["order_id"])
    ask = f"what would I get back if I returned the {' and '.join(asked).lower()}? not returning yet"
    wrong = login(task, ask) + [call("get_order_details", order_id=order["order_id"]),
                                ("agent", f"In order {order['order_id']}, returning the {other_item} would give you {money(value)} back.")] + bye()
    result = verdict(task, wrong)
    assert (result.score, result.attribution) == (0.0, "agent"), result.reasons
    right = login(task, ask) + [call("get_order_details", order_id=order["order_id"]),
                                ("agent", f"If you returned the {' and '.join(asked)}, you would get {money(value)} back."),
                                ("user", "ok. and what if I cancelled my other order?"),
                                ("agent", f"If I cancel order {other_order}, it is cancelled as no longer needed."
                                          f" The {money(shifted(value, -3))} you paid goes back to your card within 5 to 7 business days.")] + bye()
    result = verdict(task, right)
    assert result.score == 1.0, result.reasons


def test_a_correction_belongs_to_the_figure_just_stated():
    """'Sorry, I added that up wrong: ... = $X' after another figure corrects that figure, not the tracking number given before it."""
    number, order = amount(TRACKING), order_of(TRACKING)
    turns = login(TRACKING, "Hi, what's the tracking number of my order? and what did I pay for it?") + [
        call("get_order_details", order_id=order["order_id"]),
        ("agent", f"The tracking number of your order {order['order_id']} is {number}."),
        ("agent", "You paid $434.45 in all."),
        ("agent", "Sorry, I added that up wrong: $114.95 + $45.35 + $149.27 + $124.98 = $434.55."),
    ] + bye()
    result = verdict(TRACKING, turns)
    assert result.score == 1.0, result.reasons


@pytest.mark.parametrize(("question", "answer"), [
    ("Would you like me to proceed?", "Why not, yes please."),
    ("Go ahead?", "go"),
    ("Shall I cancel it?", "cancel"),
    ("Shall I cancel it?", "cancel please 🙏"),
])
def test_a_terse_or_idiomatic_yes_confirms(question, answer):
    """'Why not, yes please', or a reply that echoes the closing yes/no question's verb ('Go ahead?' - 'go'), is an explicit yes."""
    before = [("agent", cancel_listing().replace("Would you like me to proceed?", question)), ("user", answer)]
    result = verdict(CANCEL, cancel_dialogue(before_write=before))
    assert (result.score, result.violations) == (1.0, []), result.reasons


@pytest.mark.parametrize("answer", ["cancel", "why not the other order?", "go... actually no"])
def test_an_echo_is_no_yes_to_a_choice_or_a_question(answer):
    """An echo answers a yes/no question only: to 'cancel it or keep it?' it is a choice; a question back or a retraction is no yes."""
    before = [("agent", cancel_listing().replace("Would you like me to proceed?", "Shall I cancel it, or would you rather keep it?")), ("user", answer)]
    result = verdict(CANCEL, cancel_dialogue(before_write=before))
    assert rules(result) == ["confirmation"], result.reasons


def _swap_summary(old_options: dict, new_options: dict, style: str) -> str:
    if style == "value before name":  # "(28 waist, 32 inseam)"
        def say(options): return ", ".join(f"{v} {k}" for k, v in options.items())
        return f"({say(old_options)}) becomes the same item ({say(new_options)})"
    def say(options): return " / ".join(str(v) for v in options.values())  # "52 inch / matte black / light kit"
    return f"{say(old_options)} → {say(new_options)}"


@pytest.mark.parametrize("style", ["value before name", "slashes"])
def test_a_variant_listed_value_first_or_between_slashes_is_the_variant(style):
    """Options said as '32 waist, 34 inseam' or 'a / b / c → d / e / f', with unchanged ones repeated, list the new variant as it is."""
    order = order_of(EXCHANGE)
    a = args(EXCHANGE)
    old = item(order, a["item_ids"][0])
    new = BASE.tables["products"][old["product_id"]]["variants"][a["new_item_ids"][0]]
    summary = _swap_summary(old["options"], new["options"], style)
    turns = login(EXCHANGE, f"I want to exchange the {old['name'].lower()} I received") + [
        call("get_order_details", order_id=order["order_id"]), call("get_product_details", product_id=old["product_id"]),
        ("agent", f"In order {order['order_id']}, the {old['name']} {summary}; the difference is settled with {a['payment_method_id']}. Confirm?"),
        ("user", "Confirm."), call("exchange_delivered_order_items", **a)] + bye()
    result = verdict(EXCHANGE, turns)
    assert (result.score, result.violations) == (1.0, []), (summary, result.reasons)


def test_a_new_item_named_by_its_new_options_states_the_goal():
    """'swap the thingy for the <new options> one' names the exchange without the product's name: an agent that never makes it is to blame."""
    order = order_of(EXCHANGE)
    a = args(EXCHANGE)
    old = item(order, a["item_ids"][0])
    new = BASE.tables["products"][old["product_id"]]["variants"][a["new_item_ids"][0]]
    changed = " ".join(str(v) for k, v in new["options"].items() if old["options"].get(k) != v)
    turns = login(EXCHANGE, f"pls exchange the thingy I got for the {changed} one") + [
        ("agent", f"I've noted your request for the {changed} version.")] + bye("ok " + STOP)
    result = verdict(EXCHANGE, turns)
    assert (result.score, result.attribution) == (0.0, "agent"), result.reasons


ORDER_ADDRESS = task_of("retail", "modify_order_address", lambda task, base: task.constraints[0].params.get("address_source") == "new")


def test_a_second_write_the_summary_never_spoke_of_is_unconfirmed():
    """A yes to an order's new address does not cover a profile-address change made right after it, never summarised."""
    a = args(ORDER_ADDRESS)
    address = {k: a[k] for k in ("address1", "address2", "city", "state", "country", "zip")}
    turns = login(ORDER_ADDRESS, f"please ship my order {a['order_id']} to {a['address1']}, {a['city']} {a['zip']}") + [
        call("get_order_details", order_id=a["order_id"]),
        ("agent", f"Order {a['order_id']} will ship to {a['address1']}, {a['city']}, {a['state']} {a['zip']}. Shall I update it?"), ("user", "yes"),
        call("modify_pending_order_address", **a),
        call("modify_user_address", user_id=ORDER_ADDRESS.user_id, **address),
        ("agent", "Done! I also updated your profile address to match, so future orders go there too."),
    ] + bye("oh, ok. thanks " + STOP)
    result = verdict(ORDER_ADDRESS, turns)
    assert rules(result) == ["confirmation"] and "profile" in result.violations[0]["message"], result.reasons
    assert (result.score, result.attribution, [w["name"] for w in result.redundant_writes]) == (0.25, "agent", ["modify_user_address"])


def test_a_cancellation_reason_is_blamed_on_whoever_chose_it():
    """The customer corrects the reason to the other one and gets it: the customer's doing; the agent picking the other reason unasked is the agent's;
    a summary giving the other reason differs from the write."""
    goal = args(CANCEL)["reason"]
    other = next(r for r in ("no longer needed", "ordered by mistake") if r != goal)
    said = {"no longer needed": "I have no use for it now", "ordered by mistake": "I bought it by accident"}
    order = order_of(CANCEL)

    def dialogue(customer_reason: str, written: str, listed: str) -> list[tuple]:
        return cancel_dialogue(before_write=[
            ("agent", f"I will cancel order {order['order_id']} with the reason '{listed}'. Shall I go ahead?"),
            ("user", f"Sorry, one change: {said[customer_reason]}."),
            ("agent", f"I will cancel order {order['order_id']} with the reason '{written}'. Shall I go ahead?"), ("user", "Correct."),
        ], write=call("cancel_pending_order", order_id=order["order_id"], reason=written))

    result = verdict(CANCEL, dialogue(other, other, goal))
    assert (result.score, result.attribution) == (0.0, "user_simulator"), result.reasons
    result = verdict(CANCEL, dialogue(goal, other, goal))
    assert (result.score, result.attribution) == (0.0, "agent"), result.reasons
    differs = cancel_dialogue(before_write=[("agent", f"I will cancel order {order['order_id']} because it was {other}. OK?"), ("user", "ok")])
    assert rules(verdict(CANCEL, differs)) == ["confirmed_write_differs"]

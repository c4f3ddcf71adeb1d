"""Dialogues whose trigger was dead-lettered: ended as failed, so no run waits for them forever.

An actor that keeps failing on a trigger gives it up as a dead letter (see actors/bus.py); nothing
else would ever move that dialogue on. The controller, which records every dead letter, ends each of
its dialogues that lost a trigger: a trigger of any actor but the verifier becomes the dialogue's
end (`infrastructure_failure`, naming the actor and its error), which the verifier then judges
unscored; a dead verifier trigger becomes an unscored verdict. The ending takes the sequence number
right after the dead trigger, so a repeated dead letter publishes the same event id (JetStream keeps
one) and a dialogue that moved on after all is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from actors.drafts import Draft, draft, stamp
from actors.runtime import ActorContext
from actors.verifier import unscored
from actors.view import DialogueView
from events import DialogueEnded, EventError, MessageDeadLettered, TerminationReason, parse_event

log = structlog.get_logger(__name__)


def ending_after_dead_letter(dead: MessageDeadLettered, view: DialogueView) -> list[Draft]:
    """What ends a dialogue whose last event, `view.last`, was given up by `dead.actor`."""
    if view.verified is not None:
        return []
    why = f"the {dead.actor} gave up on {view.last.type} after {dead.num_delivered} deliveries: {dead.error}"
    if isinstance(view.last, DialogueEnded):
        return unscored(view, why)
    if view.ended is not None:
        return []
    return [draft(DialogueEnded, reason=TerminationReason.INFRASTRUCTURE_FAILURE, detail=why)]


async def end_dead_lettered_dialogue(ctx: ActorContext, dead: MessageDeadLettered, owns: Callable[[str], bool]) -> None:
    """Publish the ending of the dialogue whose trigger `dead` holds, if it is one of ours and still open."""
    try:
        trigger = parse_event(dead.payload)
    except EventError:
        return  # not a dialogue event: it stays a dead letter, nothing waits for it
    dialogue_id = trigger.dialogue_id
    if not owns(dialogue_id) or ctx.cache.finished(dialogue_id):
        return
    view = await ctx.cache.view(trigger, ctx.fetch)
    if ctx.cache.known(dialogue_id) > trigger.seq + 1:
        return  # something answered the trigger after all: the dialogue goes on
    drafts = ending_after_dead_letter(dead, view)
    if drafts:
        log.warning("dead_lettered_dialogue_ended", dialogue_id=dialogue_id, actor=dead.actor, trigger=trigger.type)
        await ctx.publish(stamp(drafts, dialogue_id, trigger.seq + 1, "run", trigger.event_id, ctx.clock))

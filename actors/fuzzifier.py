"""The fuzzifier's decision: the instruction the user simulator will play, and what it resolves to.

The sampled task already carries template descriptions (each resolving to exactly one record) and
the template scenario. With a rewrite model configured, the fuzzifier asks it for a more natural
scenario and keeps it only if every needed fact survives and no raw id leaks; otherwise the template
stands and the refusal is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.drafts import Draft, draft
from actors.view import DialogueView
from domains.constraints import Task
from events import InstructionFuzzified, TaskSampled


@dataclass(frozen=True)
class RewriteSettings:
    """The model that may reword scenarios (litellm name), and how to reach it."""

    model: str
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.7


def rewritten_instruction(view: DialogueView, settings: RewriteSettings) -> list[Draft]:
    """InstructionFuzzified with the model's rewording if it keeps every fact and leaks no id, else the template."""
    if not isinstance(view.last, TaskSampled):
        return []
    from domains.scenario import rewrite_instruction

    task = Task.model_validate(view.last.task)
    extra = {"api_base": settings.api_base} if settings.api_base else {}
    instruction, record = rewrite_instruction(task, settings.model, temperature=settings.temperature, api_key=settings.api_key, **extra)
    return instruction_drafts(task, instruction, record.model_dump(mode="json"))


def template_instruction(view: DialogueView) -> list[Draft]:
    """InstructionFuzzified carrying the task's own template scenario and descriptions."""
    if not isinstance(view.last, TaskSampled):
        return []
    task = Task.model_validate(view.last.task)
    return [instruction_drafts(task, task.instruction, None)[0]]


def instruction_drafts(task: Task, instruction: str, rewrite: dict[str, Any] | None) -> list[Draft]:
    descriptions = {text: d.model_dump(mode="json") for text, d in task.descriptions.items()}
    return [draft(InstructionFuzzified, instruction=instruction, descriptions=descriptions, fuzz_level=task.fuzz, rewrite=rewrite)]

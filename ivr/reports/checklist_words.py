"""Each system's checklist in words: what a caller hears at each step, what the SMS reads, and its routing.

Read-only: the YAML is the source (checked by `ivr check`); this only says it the way the line
does. The voice texts are the same messages in the same order as VoiceRenderer.question (the
counter, the instruction, the question, the key hints of ivr/channels/voice/key_hints.py); the SMS text is
SmsRenderer.step's; the routing sentences are `ivr print`'s (ivr/reports/printable.py). Pure: no
Flask, no Twilio, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, StrictUndefined

from flows.engine import Expect, State, Turn
from flows.line import Line
from flows.model import Checklist
from ivr.channels.sms.render import SmsRenderer
from ivr.channels.voice.key_hints import phone_note, step_hints
from ivr.reports.printable import routing_lines, step_notes

HEADINGS = {
    "sv": {"voice": "I telefon", "sms": "Som sms", "answers": "Svaren", "routing": "Vem kontaktas",
           "step": "Steg {number}", "key": "Knapp {key} i menyn"},
    "en": {"voice": "By phone", "sms": "As a text", "answers": "The answers", "routing": "Whom the line sends to",
           "step": "Step {number}", "key": "Key {key} at the menu"},
}


@dataclass(frozen=True)
class StepWords:
    """One step as the caller hears it and as the SMS reads it."""

    number: int
    id: str
    voice: tuple[str, ...]  # each sentence the caller hears, in order (the first step names every key)
    sms: str  # the text message that asks it
    answers: tuple[str, ...]  # what an answer does when it does more than go on ("Ja: klart, ...")


@dataclass(frozen=True)
class ChecklistWords:
    """One system's checklist in words."""

    id: str
    key: int
    name: str
    description: str
    steps: tuple[StepWords, ...]
    routing: tuple[str, ...]  # "Efter kontorstid: chef i beredskap om ..." (as `ivr print`)
    extra: tuple[str, ...]  # the rules' own sentences ("Skicka ett meddelande till ...")


def checklist_words(line: Line, lang: str = "sv") -> list[ChecklistWords]:
    """Every system in menu order."""
    return [system_words(line, checklist, lang) for checklist in line.library.checklists]


def system_words(line: Line, checklist: Checklist, lang: str) -> ChecklistWords:
    """One system: its steps on both channels, its routing in words."""
    sms = SmsRenderer(line, lang)
    positions = {step.id: index + 1 for index, step in enumerate(checklist.steps)}
    steps = []
    for index, step in enumerate(checklist.steps):
        turn = Turn(State(lang=lang, checklist=checklist.id, step=index), Expect.YES_NO, checklist, step)
        first = index == 0
        # A caller whose number the line can text (the usual case): key 8 is offered.
        voice = [voice_text(line, "chosen", lang, system=checklist.name[lang])] if first else []
        voice += [voice_text(line, "step_counter", lang, step=index + 1, total=len(checklist.steps)),
                  step.say[lang], *([voice_text(line, note, lang)] if (note := phone_note(step, True)) else []),
                  step.ask[lang],
                  *(voice_text(line, hint, lang) for hint in step_hints(step, first, can_text=True))]
        steps.append(StepWords(index + 1, step.id, tuple(voice), sms.step(turn),
                               tuple(step_notes(step, positions, lang))))
    extra = tuple(dict.fromkeys(rule.say[lang] for rule in checklist.rules if rule.say))
    return ChecklistWords(checklist.id, checklist.key, checklist.name[lang], checklist.description[lang],
                          tuple(steps), tuple(routing_lines(line, checklist, lang)), extra)


def voice_text(line: Line, name: str, lang: str, /, **values: object) -> str:
    """A voice message, as VoiceRenderer.text says it."""
    return line.messages.get("voice", name, lang, **values)


FRAGMENT = """\
{% for system in systems %}
<section class="checklist" id="checklist-{{ system.id }}" aria-labelledby="checklist-{{ system.id }}-name">
  <h2 id="checklist-{{ system.id }}-name">{{ system.name }}
    <small>({{ words.key.format(key=system.key) }})</small></h2>
  <p>{{ system.description }}</p>
  <ol class="steps">
  {% for step in system.steps %}
    <li id="checklist-{{ system.id }}-{{ step.id }}">
      <h3>{{ words.step.format(number=step.number) }}</h3>
      <p><strong>{{ words.voice }}:</strong> {{ step.voice | join(" ") }}</p>
      <p><strong>{{ words.sms }}:</strong> {{ step.sms }}</p>
      {% if step.answers %}
      <p><strong>{{ words.answers }}:</strong> {{ step.answers | join(" ") }}</p>
      {% endif %}
    </li>
  {% endfor %}
  </ol>
  <h3>{{ words.routing }}</h3>
  <ul class="routing">
  {% for line in system.routing %}
    <li>{{ line }}</li>
  {% endfor %}
  {% for line in system.extra %}
    <li>{{ line }}</li>
  {% endfor %}
  </ul>
</section>
{% endfor %}
"""

_ENVIRONMENT = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_fragment(systems: list[ChecklistWords], lang: str = "sv") -> str:
    """The checklists as an HTML fragment for a page (every text escaped)."""
    return _ENVIRONMENT.from_string(FRAGMENT).render(systems=systems, words=HEADINGS[lang])

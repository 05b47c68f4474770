"""Every checklist as one printable HTML page, from the same YAML the line speaks (`ivr print`, the console)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import phonenumbers
from jinja2 import Environment, StrictUndefined

from flows.line import Line
from flows.model import FACTS, UNKNOWN, Action, Answer, Checklist, Hours, Outcome, Rule, Step, is_unknown
from flows.settings import REGION

# Words of the page itself; the checklists bring their own texts in both languages.
WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "title": "Felsökningslinjen", "subtitle": "Checklistor för felsökning av IT-system",
        "call": "Ring", "press": "Tryck {key}", "keys": "Tryck 1 för ja och 2 för nej, "
        "och 3 om du inte vet där steget säger Vet inte. "
        "Stjärna upprepar, "
        "0 går tillbaka till menyn, fyrkant byter till engelska.",
        "sms": "Du kan också sms:a systemets namn till samma nummer och svara JA eller NEJ.",
        "it_support": "IT-supporten", "it_portal": "IT-portalen",
        "on_call_note": "Chef i beredskap kopplas bara utanför kontorstid och först när alla steg är gjorda.",
        "system": "System", "what": "Vad är det?", "steps": "Felsökning", "contact": "Vem kontaktar jag?",
        "yes": "Ja", "no": "Nej", "unknown": "Vet inte", "next": "gå vidare till nästa steg",
        "solved": "klart, problemet är löst", "stop": "gå direkt till Vem kontaktar jag?",
        "goto": "gå till steg {number}",
        "hours_any": "Dygnet runt", "hours_office": "Kontorstid", "hours_after": "Efter kontorstid",
        "if": "om", "and": "och", "or": "eller", "otherwise": "annars",
        "once_all_done": "när alla steg är gjorda",
        "out_it_support": "IT-supporten", "out_it_portal": "ärende i IT-portalen",
        "out_on_call_manager": "chef i beredskap", "out_wait_for_office_hours": "IT-supporten när den öppnar",
        "out_supplier_outage": "{supplier} åtgärdar felet", "status_page": "leverantörens driftsida",
    },
    "en": {
        "title": "Troubleshooting line", "subtitle": "IT system troubleshooting checklists",
        "call": "Call", "press": "Press {key}", "keys": "Press 1 for yes and 2 for no, "
        "and 3 if you do not know where the step says Not sure. "
        "Star repeats, "
        "0 goes back to the menu, the hash key switches the line to English.",
        "sms": "You can also text the name of the system to the same number and reply 1 for yes, 2 for no.",
        "it_support": "IT support", "it_portal": "IT portal",
        "on_call_note": "The on-call manager is connected only outside office hours, once every step is done.",
        "system": "System", "what": "What is it?", "steps": "Troubleshooting", "contact": "Whom do I contact?",
        "yes": "Yes", "no": "No", "unknown": "Not sure", "next": "go on to the next step",
        "solved": "done, the problem is solved", "stop": "go straight to Whom do I contact?",
        "goto": "go to step {number}",
        "hours_any": "At any hour", "hours_office": "Office hours", "hours_after": "After hours",
        "if": "if", "and": "and", "or": "or", "otherwise": "otherwise",
        "once_all_done": "once every step is done",
        "out_it_support": "IT support", "out_it_portal": "a ticket in the IT portal",
        "out_on_call_manager": "the on-call manager", "out_wait_for_office_hours": "IT support when it opens",
        "out_supplier_outage": "{supplier} fixes it", "status_page": "the supplier's status page",
    },
}

# How a condition reads after "om"/"if": Swedish puts "inte" before the verb in that clause,
# so the facts' own labels (flows.model.FACTS) cannot simply be negated.
# A fact answered "vet inte" reads as not knowing, never as its negation.
CONDITIONS: dict[str, dict[Answer, dict[str, str]]] = {
    "multiple_users": {
        True: {"sv": "flera användare har samma problem", "en": "several users have the problem"},
        False: {"sv": "bara du har problemet", "en": "only you have the problem"},
        UNKNOWN: {"sv": "du inte vet om fler har problemet", "en": "you do not know whether others have it"},
    },
    "network_ok": {
        True: {"sv": "nätet fungerar", "en": "the network works"},
        False: {"sv": "nätet inte fungerar", "en": "the network does not work"},
        UNKNOWN: {"sv": "du inte vet om nätet fungerar", "en": "you do not know whether the network works"},
    },
    "login_ok": {
        True: {"sv": "inloggningen fungerar", "en": "login works"},
        False: {"sv": "inloggningen inte fungerar", "en": "login does not work"},
        UNKNOWN: {"sv": "du inte vet om inloggningen fungerar", "en": "you do not know whether login works"},
    },
    "supplier_outage": {
        True: {"sv": "{status} visar driftstörning", "en": "{status} shows an outage"},
        False: {"sv": "{status} inte visar driftstörning", "en": "{status} shows no outage"},
        UNKNOWN: {"sv": "du inte kan se {status}", "en": "you cannot see {status}"},
    },
    "nobody_can_browse": {
        True: {"sv": "ingen personal kommer ut på internet", "en": "no staff can reach the internet"},
        False: {"sv": "någon kommer ut på internet", "en": "someone can reach the internet"},
        UNKNOWN: {"sv": "du inte vet om någon kommer ut på internet",
                  "en": "you do not know whether anyone can reach the internet"},
    },
}


@dataclass(frozen=True)
class StepView:
    """One numbered step as printed."""

    say: str
    ask: str
    notes: tuple[str, ...]  # "Ja: klart, problemet är löst"


@dataclass(frozen=True)
class SystemView:
    """One system's row of the printed table."""

    id: str
    key: int
    name: str
    description: str
    steps: tuple[StepView, ...]
    routing: tuple[str, ...]  # one line per kind of hours
    extra: tuple[str, ...]  # the rules' own sentences ("Skicka ett meddelande till ...")


TEMPLATE = """\
<!DOCTYPE html>
<html lang="{{ lang }}" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<title>{{ words.title }}{% if number %} {{ number }}{% endif %}</title>
<style>
@page { size: A4 portrait; margin: 14mm 12mm; }
html { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 10pt; color: #000; }
body { margin: 0 auto; max-width: 190mm; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
h1 .number { white-space: nowrap; }
.subtitle { font-size: 12pt; margin: 0 0 3mm; }
.intro p { margin: 1mm 0; }
.contacts { border: 1.5pt solid #000; padding: 2mm 3mm; margin: 3mm 0 4mm; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
th, td { border: 0.75pt solid #000; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #e6e6e6; }
col.system { width: 15%; } col.what { width: 19%; } col.steps { width: 40%; } col.contact { width: 26%; }
tr { break-inside: avoid; page-break-inside: avoid; }
.name { font-weight: bold; font-size: 11pt; display: block; }
.key { display: inline-block; margin-top: 1mm; border: 1pt solid #000; border-radius: 2mm; padding: 0 1.5mm; }
ol { margin: 0; padding-left: 5mm; }
li { margin-bottom: 1.5mm; }
.ask { font-weight: bold; }
.note { font-style: italic; }
ul.routing { margin: 0; padding-left: 4mm; }
.extra { margin: 1.5mm 0 0; }
@media print {
  a { color: #000; text-decoration: none; }
  th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<h1>{{ words.title }}{% if number %} <span class="number">{{ number }}</span>{% endif %}</h1>
<p class="subtitle">{{ words.subtitle }}</p>
<div class="intro">
<p>{% if number %}{{ words.call }} {{ number }}. {% endif %}{{ words["keys"] }}</p>
<p>{{ words.sms }}</p>
</div>
<div class="contacts">
<p>{{ words.it_support }}: <strong>{{ it_support }}</strong>.
{{ words.it_portal }}: <a href="{{ portal }}">{{ portal }}</a></p>
<p>{{ words.on_call_note }}</p>
</div>
<table>
<colgroup><col class="system" /><col class="what" /><col class="steps" /><col class="contact" /></colgroup>
<thead><tr>
<th>{{ words.system }}</th><th>{{ words.what }}</th><th>{{ words.steps }}</th><th>{{ words.contact }}</th>
</tr></thead>
<tbody>
{% for system in systems %}
<tr id="{{ system.id }}">
<td><span class="name">{{ system.name }}</span><span class="key">{{ words.press.format(key=system.key) }}</span></td>
<td>{{ system.description }}</td>
<td><ol>
{% for step in system.steps %}
<li>{{ step.say }} <span class="ask">{{ step.ask }}</span>
{%- for note in step.notes %} <span class="note">{{ note }}</span>{% endfor %}</li>
{% endfor %}
</ol></td>
<td><ul class="routing">
{% for line in system.routing %}
<li>{{ line }}</li>
{% endfor %}
</ul>{% for text in system.extra %}<p class="extra">{{ text }}</p>{% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""


def render_html(line: Line, lang: str = "sv", number: str | None = None) -> str:
    """The whole page: every checklist in menu order, with its routing in words."""
    words = WORDS[lang]
    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    settings = line.settings
    return environment.from_string(TEMPLATE).render(
        lang=lang, words=words, number=number,
        it_support=national(str(settings.it_support.number)), portal=settings.it_portal_url,
        systems=[system_view(line, checklist, lang) for checklist in line.library.checklists],
    )


def system_view(line: Line, checklist: Checklist, lang: str) -> SystemView:
    """What the table shows for one system."""
    positions = {step.id: index + 1 for index, step in enumerate(checklist.steps)}
    steps = tuple(
        StepView(step.say[lang], step.ask[lang], tuple(step_notes(step, positions, lang)))
        for step in checklist.steps
    )
    extra = tuple(dict.fromkeys(rule.say[lang] for rule in checklist.rules if rule.say))
    return SystemView(checklist.id, checklist.key, checklist.name[lang], checklist.description[lang], steps,
                      tuple(routing_lines(line, checklist, lang)), extra)


def step_notes(step: Step, positions: dict[str, int], lang: str) -> Iterator[str]:
    """What an answer does, when it does more than go on to the next step."""
    words = WORDS[lang]
    answers: list[tuple[str, Action | None, str | None]] = [
        ("yes", step.on_yes, step.goto_yes), ("no", step.on_no, step.goto_no),
        ("unknown", step.on_unknown, step.goto_unknown),
    ]
    for answer, action, target in answers:
        label = words[answer]
        if answer == "unknown" and action is Action.NEXT:
            yield f"{label}: {words['next']}."  # the printed sheet shows where "vet inte" is an answer
        elif action is Action.SOLVED:
            yield f"{label}: {words['solved']}."
        elif action is Action.STOP:
            yield f"{label}: {words['stop']}"
        elif action is Action.GOTO and target is not None:
            yield f"{label}: {words['goto'].format(number=positions.get(target, '?'))}."


def routing_lines(line: Line, checklist: Checklist, lang: str) -> Iterator[str]:
    """The rules as people read them: "Efter kontorstid: chef i beredskap om ingen personal ..."."""
    words = WORDS[lang]
    rules = list(checklist.rules)
    # Leading rules for any hours apply round the clock: say them once, not under both headings.
    common = 0
    while common < len(rules) and rules[common].hours is Hours.ANY:
        common += 1
    if common:
        yield f"{words['hours_any']}: {clauses(line, rules[:common], lang)}"
        if any(not rule.when for rule in rules[:common]):
            return  # an unconditional rule for any hours: nothing after it is ever reached
    for hours, label in ((Hours.OFFICE, "hours_office"), (Hours.AFTER, "hours_after")):
        applying = [rule for rule in rules[common:] if rule.hours in (Hours.ANY, hours)]
        if applying:
            yield f"{words[label]}: {clauses(line, applying, lang)}"


def clauses(line: Line, rules: list[Rule], lang: str) -> str:
    """Rules in order (first match wins) as one sentence; rules after an unconditional one are dropped."""
    words = WORDS[lang]
    parts: list[str] = []
    # A conditional rule just before the default with the same destination differs only in its
    # `why` (what the caller hears): on paper, "annars X" already covers it.
    rules = [rule for index, rule in enumerate(rules)
             if not (rule.when and index + 1 < len(rules) and not rules[index + 1].when
                     and destination(rules[index + 1]) == destination(rule))]
    groups = list(grouped(rules))
    for target_rules in groups:
        first = target_rules[0]
        text = target(line, first, lang)
        if first.when:
            # "A eller B" reads right only for single facts; "A och B eller C" would be ambiguous.
            single = all(len(rule.when) == 1 for rule in target_rules)
            joiner = f" {words['or']} " if single else f", {words['or']} {words['if']} "
            conditions = joiner.join(condition(line, rule, lang) for rule in target_rules)
            parts.append(f"{text} {words['if']} {conditions}")
            continue
        if first.outcome is Outcome.ON_CALL_MANAGER:
            # routing.route skips on-call unless every step was answered, so the next rule can still apply.
            text = f"{text} {words['once_all_done']}"
        parts.append(f"{words['otherwise']} {text}" if parts else text)
        if first.outcome is not Outcome.ON_CALL_MANAGER:
            break
    sentence = ", ".join(parts)
    return sentence[:1].upper() + sentence[1:]


def grouped(rules: list[Rule]) -> Iterator[list[Rule]]:
    """Consecutive conditional rules with the same destination, so they read "X om A eller B"."""
    group: list[Rule] = []
    for rule in rules:
        if group and rule.when and all(r.when for r in group) and destination(rule) == destination(group[0]):
            group.append(rule)
            continue
        if group:
            yield group
        group = [rule]
    if group:
        yield group


def destination(rule: Rule) -> tuple[Outcome, str | None, str | None]:
    """Where a rule sends the caller."""
    return (rule.outcome, rule.contact, rule.supplier)


def target(line: Line, rule: Rule, lang: str) -> str:
    """Whom a rule's outcome means, in words."""
    settings = line.settings
    words = WORDS[lang]
    if rule.outcome is Outcome.LOCAL_CONTACT and rule.contact in settings.contacts:
        contact = settings.contacts[str(rule.contact)]
        return contact.name[lang] + (f" {national(contact.number)}" if contact.number else "")
    if rule.outcome is Outcome.SUPPLIER_OUTAGE:
        supplier = settings.suppliers.get(str(rule.supplier))
        return words["out_supplier_outage"].format(supplier=supplier.name[lang] if supplier else rule.supplier)
    if rule.outcome is Outcome.IT_SUPPORT:
        return f"{words['out_it_support']} {national(str(settings.it_support.number))}"
    return words.get(f"out_{rule.outcome.value}", rule.outcome.value)


def condition(line: Line, rule: Rule, lang: str) -> str:
    """A rule's facts as a clause: "nätet inte fungerar och inloggningen fungerar"."""
    supplier = line.settings.suppliers.get(str(rule.supplier))
    status = supplier.status[lang] if supplier else WORDS[lang]["status_page"]
    texts = []
    for fact, value in rule.when.items():
        phrase = CONDITIONS.get(fact, {}).get(value, {}).get(lang)
        if phrase is None:  # a fact added to flows.model.FACTS but not here yet
            answer = "unknown" if is_unknown(value) else "yes" if value else "no"
            phrase = f"{FACTS.get(fact, {}).get(lang, fact)}: {WORDS[lang][answer].lower()}"
        texts.append(phrase.format(status=status))
    return f" {WORDS[lang]['and']} ".join(texts)


def national(number: str) -> str:
    """+46141225047 as people write it: 0141-22 50 47."""
    try:
        parsed = phonenumbers.parse(number, REGION)
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL))

"""`ivr print --poster`: one A4 page to pin up in a unit: the number, each system's key, the SMS words.

From the same data the line speaks: the checklists' keys, names and aliases, config/line.yaml's number
and IT support, and the SMS keywords ivr.conversation.replies reads (the first word of each intent as typed).
"""

from __future__ import annotations

from jinja2 import Environment, StrictUndefined

from flows.line import Line
from ivr.conversation.replies import KEYWORDS_AS_TYPED, Intent

# Swedish first (klarspråk), English second and smaller.
POSTER_WORDS = {
    "sv": {
        "title": "Felsökningslinjen", "lead": "Fungerar inte ett IT-system? Ring",
        "press": "Tryck siffran för ditt system",
        "steps": "Svara på varje steg: 1 ja, 2 nej, 3 vet inte (där steget säger det). "
        "Stjärna upprepar, 0 menyn, 5 mer tid, 8 fortsätt med sms.",
        "sms": "Eller sms:a systemets namn till samma nummer och svara JA eller NEJ.",
        "words": "Sms-ord", "menu": "börjar om", "help": "förklarar", "stop": "avslutar", "call": "ringer upp dig",
        "it_support": "IT-supporten", "on_call": "Chef i beredskap kopplas bara utanför kontorstid, "
        "när alla steg är gjorda.",
    },
    "en": {
        "title": "Troubleshooting line", "lead": "An IT system not working? Call", "press": "Press your system's key",
        "steps": "Answer each step: 1 yes, 2 no, 3 not sure. Star repeats, 0 menu, 5 more time, 8 go on by SMS. "
        "Press # for English.",
        "sms": "Or text the system's name to the same number and reply JA (yes) or NEJ (no).",
        "words": "SMS words", "menu": "starts over", "help": "explains", "stop": "ends", "call": "calls you back",
        "it_support": "IT support", "on_call": "The on-call manager is connected only after hours, once every step "
        "is done.",
    },
}
SMS_INTENTS = (Intent.MENU, Intent.HELP, Intent.STOP, Intent.CALL)

POSTER = """\
<!DOCTYPE html>
<html lang="sv" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<title>{{ sv.title }} {{ number }}</title>
<style>
@page { size: A4 portrait; margin: 15mm; }
html { font-family: "Segoe UI", Arial, Helvetica, sans-serif; font-size: 12pt; color: #000; }
body { margin: 0 auto; max-width: 180mm; }
h1 { font-size: 30pt; margin: 0; }
.lead { font-size: 18pt; margin: 3mm 0 0; }
.number { font-size: 44pt; font-weight: bold; margin: 0 0 5mm; white-space: nowrap; }
h2 { font-size: 16pt; margin: 4mm 0 2mm; }
table { border-collapse: collapse; width: 100%; }
td { border-bottom: 0.75pt solid #000; padding: 1.6mm 2mm; font-size: 15pt; }
td.key { width: 16mm; text-align: center; font-weight: bold; font-size: 22pt; }
.en { font-size: 11pt; color: #333; }
.sms { border: 1.5pt solid #000; padding: 2mm 3mm; margin: 5mm 0 3mm; }
.sms p { margin: 1mm 0; }
.word { font-weight: bold; }
.en-block { font-size: 10pt; color: #333; margin-top: 3mm; }
.en-block p { margin: 1mm 0; }
body, table, tr { break-inside: avoid; page-break-inside: avoid; }
</style>
</head>
<body>
<h1>{{ sv.title }}</h1>
<p class="lead">{{ sv.lead }}</p>
<p class="number">{{ number }}</p>
<h2>{{ sv.press }}</h2>
<table>
{% for system in systems %}
<tr id="key-{{ system.key }}"><td class="key">{{ system.key }}</td><td>{{ system.sv }}
{%- if system.en != system.sv %} <span class="en">({{ system.en }})</span>{% endif %}</td></tr>
{% endfor %}
</table>
<p>{{ sv.steps }}</p>
<div class="sms">
<p>{{ sv.sms }}</p>
<p>{{ sv.words }}:{% for word in sms_words %} <span class="word">{{ word.word }}</span> {{ word.sv }}
{%- if not loop.last %},{% endif %}{% endfor %}.</p>
</div>
<p>{{ sv.it_support }}: <strong>{{ it_support }}</strong>. {{ sv.on_call }}</p>
<div class="en-block" lang="en">
<p><strong>{{ en.title }}.</strong> {{ en.lead }} {{ number }}. {{ en.press }}. {{ en.steps }}</p>
<p>{{ en.sms }} {{ en.words }}:{% for word in sms_words %} {{ word.word }} {{ word.en }}
{%- if not loop.last %},{% endif %}{% endfor %}.
{{ en.it_support }}: {{ it_support }}. {{ en.on_call }}</p>
</div>
</body>
</html>
"""


def sms_words() -> list[dict[str, str]]:
    """The first word typed for each keyword intent, in capitals: MENY, HJÄLP, STOPP, RING."""
    first = {intent: next(word for word, meant in KEYWORDS_AS_TYPED.items() if meant is intent)
             for intent in SMS_INTENTS}
    return [{"word": first[intent].upper(), "sv": POSTER_WORDS["sv"][intent.value],
             "en": POSTER_WORDS["en"][intent.value]} for intent in SMS_INTENTS]


def render_poster(line: Line, number: str, it_support: str) -> str:
    """The poster as polyglot XHTML; number and it_support as people write them (0141-22 50 00)."""
    environment = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    systems = [{"key": c.key, "sv": c.name["sv"], "en": c.name.get("en", c.name["sv"])}
               for c in sorted(line.library.checklists, key=lambda c: c.key)]
    return environment.from_string(POSTER).render(
        sv=POSTER_WORDS["sv"], en=POSTER_WORDS["en"], number=number, it_support=it_support,
        systems=systems, sms_words=sms_words(),
    )

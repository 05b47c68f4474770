"""The line's settings from `config/line.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from flows.directory import Directory, load_directory
from flows.model import LANGUAGES, Outcome, Text
from flows.ticket_settings import TicketSettings, parse_tickets
from flows.yamlfile import Problems, display_path, join, read_yaml

REGION = "SE"  # numbers without +country are Swedish
LINE_KEYS = ("languages", "voices", "it_support", "it_portal_url", "contacts", "suppliers")
LINE_OPTIONAL = ("line_number", "it_on_call", "voice_line", "sms_line", "incidents", "staff", "admins", "privacy",
                 "receipt", "pronunciation", "speech", "tickets")
VOICE_LINE_DEFAULTS = {"gather_timeout_seconds": 6, "max_repeats": 3, "dial_timeout_seconds": 25,
                       "more_time_minutes": 3, "resume_minutes": 30, "manager_sms_delivery_minutes": 3}
SMS_LINE_DEFAULTS: dict[str, Any] = {"quiet_minutes": 120, "on_call_by": "callback"}
INCIDENT_DEFAULTS = {"threshold": 3, "window_minutes": 30, "known_hours": 2}
PRIVACY_DEFAULTS = {"retention_days": 90, "forget_numbers_after_hours": 24}
STAFF_KEYS = ("required", "numbers", "prefixes", "pin_env", "directory")
ON_CALL_BY = ("callback", "text_number")
# Who gets the SMS receipt after a call: staff phones (and callers who keyed the staff code), anyone, or no one.
RECEIPT_TO = ("staff", "everyone", "nobody")
# Every outcome but `resolved` (nothing left to do) and `deflected` (the caller heard IT's own notice).
RECEIPT_OUTCOMES = ("it_support", "it_portal", "local_contact", "supplier_outage", "on_call_manager",
                    "wait_for_office_hours")
RECEIPT_KEYS = ("to", "outcomes")
SPEECH_KEYS = ("enabled", "model", "min_confidence", "timeout_seconds")
SPEECH_MODEL = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")  # Twilio's speechModel values: googlev2_telephony, ...
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")  # what Polly's <lang xml:lang> takes, e.g. en-GB


@dataclass(frozen=True)
class Term:
    """How one word or name is said, as config/line.yaml's `pronunciation` writes it: as `say` instead of as
    written, and/or in the language `lang`. Data only: the voice channel makes SSML of it
    (ivr/channels/voice/pronounce.py)."""

    say: str | None = None
    lang: str | None = None  # BCP-47, e.g. "en-GB"


@dataclass(frozen=True)
class Contact:
    """Someone the line can name, and dial when a number is known."""

    id: str
    name: Text
    number: str | None  # E.164
    sms: str | None = None  # E.164: where a step's `notify:` texts them (a group's shared mobile)


@dataclass(frozen=True)
class Supplier:
    """A supplier with a status page (Inera, Everon, Alfa eCare)."""

    id: str
    name: Text
    status: Text


@dataclass(frozen=True)
class Voice:
    """A Twilio <Say> voice and its language tag."""

    voice: str
    language: str


@dataclass(frozen=True)
class Settings:
    """Everything in config/ except office hours."""

    languages: tuple[str, ...]
    voices: dict[str, Voice]
    it_support: Contact
    it_portal_url: str
    contacts: dict[str, Contact]
    suppliers: dict[str, Supplier]
    line_number: str | None = None  # the line's own number, E.164: printed on the posted checklist
    gather_timeout: int = 6
    max_repeats: int = 3
    dial_timeout: int = 25
    more_time_minutes: int = 3  # key 5 on a step: the line waits quietly up to this long, then asks again
    # A manager SMS not delivered this soon (or reported undelivered) goes to the next person in the chain.
    manager_sms_delivery_minutes: int = 3
    resume_minutes: int = 30  # a dropped call's checklist is offered to the same phone calling again this soon
    sms_quiet_minutes: int = 120
    sms_on_call_by: str = "callback"
    incident_threshold: int = 3
    incident_window_minutes: int = 30
    incident_known_hours: int = 2  # an incident without news is no longer known after this long
    # IT-beredskapen: the manager may have the line connect her there (KLAR/KVITTERA/IT by SMS); None: not set up.
    it_on_call: Contact | None = None
    staff_required: bool = False
    staff_numbers: frozenset[str] = frozenset()
    staff_prefixes: tuple[str, ...] = ()
    staff_pin_env: str | None = None
    # staff.directory: workplaces by number (flows/directory.py), in memory only; None when not set up.
    staff_directory: Directory | None = None
    admins: frozenset[str] = frozenset()
    retention_days: int = 90
    forget_numbers_after_hours: int = 24
    receipt_to: str = "staff"
    receipt_outcomes: frozenset[str] = frozenset(RECEIPT_OUTCOMES)

    def wants_receipt(self, number: str | None, outcome: str, code_passed: bool = False) -> bool:
        """Does a caller get the SMS receipt for this outcome? Never a hidden number."""
        if not number or outcome not in self.receipt_outcomes or self.receipt_to == "nobody":
            return False
        return self.receipt_to == "everyone" or code_passed or self.is_staff(number)
    # Speech input (<Gather input="dtmf speech">), off unless line.yaml turns it on; keys always work.
    speech_enabled: bool = False
    speech_model: str = "googlev2_telephony"
    speech_min_confidence: float = 0.5  # below it the line asks again, by keys
    speech_timeout: int = 2  # seconds of silence that end an answer (speechTimeout)
    # By language: words the voice says otherwise than written, or in another language (Term above).
    pronunciation: dict[str, dict[str, Term]] = field(default_factory=dict)
    tickets: TicketSettings = field(default_factory=TicketSettings)  # the IT-portal ticket (flows/ticket_settings.py)

    def is_staff(self, number: str | None) -> bool:
        """May this phone reach Chef i beredskap without a PIN?"""
        if not self.staff_required:
            return True
        return bool(number) and (number in self.staff_numbers or str(number).startswith(self.staff_prefixes))
    @property
    def default_language(self) -> str:
        """The language a conversation starts in."""
        return self.languages[0]


def e164(value: Any, problems: Problems, path: str) -> str | None:
    """Normalise a phone number to E.164 (region SE), recording a problem if it is not one."""
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a phone number such as '0141-22 50 47'")
        return None
    try:
        parsed = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        problems.add(path, f"'{value}' is not a valid phone number")
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def load_settings(config_dir: Path) -> Settings:
    """Load and validate line.yaml; DataError lists every problem."""
    path = config_dir / "line.yaml"
    values = _parse_line(read_yaml(path), display_path(path))
    if values["staff_directory"] is not None:
        # Relative to the config folder (an absolute path stays as it is); its problems name the CSV's lines.
        values["staff_directory"] = load_directory(config_dir / values["staff_directory"])
    return Settings(**values)


def _parse_line(data: Any, source: str) -> dict[str, Any]:
    problems = Problems(source)
    top = problems.mapping(data, "")
    if top is None:
        problems.raise_if_any()
    assert top is not None
    problems.keys(top, "", LINE_KEYS, LINE_OPTIONAL)
    languages = top.get("languages")
    if not isinstance(languages, list) or not languages or any(lang not in LANGUAGES for lang in languages):
        problems.add("languages", f"must be a list of languages from: {', '.join(LANGUAGES)}")
        languages = list(LANGUAGES)
    voices = _voices(top.get("voices"), problems, languages)
    it_support = _contact("it_support", top.get("it_support"), problems, "it_support", required_number=True)
    it_on_call = (_contact("it_on_call", top["it_on_call"], problems, "it_on_call", required_number=True)
                  if top.get("it_on_call") is not None else None)
    portal = top.get("it_portal_url")
    if not isinstance(portal, str) or not portal.startswith(("https://", "http://")):
        problems.add("it_portal_url", "must be a web address starting with https://")
    contacts = {
        str(key): _contact(str(key), value, problems, join("contacts", str(key)))
        for key, value in (problems.mapping(top.get("contacts"), "contacts") or {}).items()
    }
    suppliers: dict[str, Supplier] = {}
    for key, value in (problems.mapping(top.get("suppliers"), "suppliers") or {}).items():
        path = join("suppliers", str(key))
        entry = problems.mapping(value, path)
        if entry is not None:
            problems.keys(entry, path, ("name", "status"), ())
            suppliers[str(key)] = Supplier(
                str(key), problems.text(entry.get("name"), join(path, "name")),
                problems.text(entry.get("status"), join(path, "status")),
            )
    voice_line = _section(top, "voice_line", VOICE_LINE_DEFAULTS, problems)
    sms_line = _section(top, "sms_line", SMS_LINE_DEFAULTS, problems)
    if sms_line["on_call_by"] not in ON_CALL_BY:
        problems.add("sms_line.on_call_by", f"must be one of: {', '.join(ON_CALL_BY)}")
    incidents = _section(top, "incidents", INCIDENT_DEFAULTS, problems)
    privacy = _section(top, "privacy", PRIVACY_DEFAULTS, problems)
    staff = _staff(top.get("staff", {}), problems)
    admins = {
        number for index, value in enumerate(_list_of(top.get("admins", []), "admins", problems))
        if (number := e164(value, problems, f"admins[{index}]"))
    }
    line_number = e164(top["line_number"], problems, "line_number") if top.get("line_number") else None
    receipt = _receipt(top.get("receipt", {}), problems)
    pronunciation = _pronunciation(top.get("pronunciation", {}), problems, languages)
    speech = _speech(top.get("speech", {}), problems)
    tickets = parse_tickets(top.get("tickets"), problems)
    problems.raise_if_any()
    return {
        "line_number": line_number,
        "languages": tuple(languages), "voices": voices, "it_support": it_support,
        "it_portal_url": portal, "contacts": contacts, "suppliers": suppliers,
        "gather_timeout": voice_line["gather_timeout_seconds"], "max_repeats": voice_line["max_repeats"],
        "dial_timeout": voice_line["dial_timeout_seconds"], "more_time_minutes": voice_line["more_time_minutes"],
        "resume_minutes": voice_line["resume_minutes"],
        "manager_sms_delivery_minutes": voice_line["manager_sms_delivery_minutes"],
        "sms_quiet_minutes": sms_line["quiet_minutes"], "sms_on_call_by": sms_line["on_call_by"],
        "incident_threshold": incidents["threshold"], "incident_window_minutes": incidents["window_minutes"],
        "incident_known_hours": incidents["known_hours"], "it_on_call": it_on_call,
        "retention_days": privacy["retention_days"],
        "forget_numbers_after_hours": privacy["forget_numbers_after_hours"],
        "admins": frozenset(admins), "pronunciation": pronunciation, **speech, **staff, **receipt,
        "tickets": tickets,
    }


def _receipt(value: Any, problems: Problems) -> dict[str, Any]:
    data = problems.mapping(value, "receipt") or {}
    problems.keys(data, "receipt", (), RECEIPT_KEYS)
    to = data.get("to", "staff")
    if to not in RECEIPT_TO:
        problems.add("receipt.to", f"must be one of: {', '.join(RECEIPT_TO)}")
    outcomes = _list_of(data.get("outcomes", list(RECEIPT_OUTCOMES)), "receipt.outcomes", problems)
    known = [outcome.value for outcome in Outcome]
    for index, outcome in enumerate(outcomes):
        if outcome not in known:
            problems.add(f"receipt.outcomes[{index}]", f"'{outcome}' is not an outcome (one of: {', '.join(known)})")
    return {"receipt_to": to, "receipt_outcomes": frozenset(str(outcome) for outcome in outcomes)}


def _speech(value: Any, problems: Problems) -> dict[str, Any]:
    """The speech section: on/off, the pinned model, the confidence threshold and the end-of-speech silence."""
    data = problems.mapping(value, "speech") or {}
    problems.keys(data, "speech", (), SPEECH_KEYS)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        problems.add("speech.enabled", "must be true or false")
        enabled = False
    model = data.get("model", "googlev2_telephony")
    if not isinstance(model, str) or not SPEECH_MODEL.match(model):
        problems.add("speech.model", "must be one of Twilio's speechModel values, e.g. googlev2_telephony")
    confidence = data.get("min_confidence", 0.5)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1:
        problems.add("speech.min_confidence", "must be a number from 0 to 1, e.g. 0.5")
        confidence = 0.5
    timeout = data.get("timeout_seconds", 2)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 10:
        problems.add("speech.timeout_seconds", "must be a whole number of seconds from 1 to 10")
        timeout = 2
    return {"speech_enabled": enabled, "speech_model": model, "speech_min_confidence": float(confidence),
            "speech_timeout": timeout}


def _pronunciation(value: Any, problems: Problems, languages: list[str]) -> dict[str, dict[str, Term]]:
    """{language: {term: Term}}: each term says `say` instead of the written word, and/or is in `lang`."""
    found: dict[str, dict[str, Term]] = {}
    for lang, entries in (problems.mapping(value, "pronunciation") or {}).items():
        path = join("pronunciation", str(lang))
        if lang not in languages:
            problems.add(path, f"unknown language (the line speaks: {', '.join(languages)})")
            continue
        found[str(lang)] = {}
        for term, spec in (problems.mapping(entries, path) or {}).items():
            where = join(path, str(term))
            data = problems.mapping(spec, where)
            if data is None:
                continue
            problems.keys(data, where, (), ("say", "lang"))
            say, tag = data.get("say"), data.get("lang")
            if say is not None and not (isinstance(say, str) and say.strip()):
                problems.add(join(where, "say"), "must be the words to say instead")
            elif tag is not None and not (isinstance(tag, str) and LANGUAGE_TAG.match(tag)):
                problems.add(join(where, "lang"), f"'{tag}' must be a language tag such as en-GB")
            elif say is None and tag is None:
                problems.add(where, "needs say: (the words to say instead), lang: (a language tag), or both")
            elif not str(term).strip():
                problems.add(where, "the written word must not be empty")
            else:
                found[str(lang)][str(term)] = Term(say, tag)
    return found


def _list_of(value: Any, path: str, problems: Problems) -> list[Any]:
    if not isinstance(value, list):
        problems.add(path, "must be a list")
        return []
    return value


def _staff(value: Any, problems: Problems) -> dict[str, Any]:
    data = problems.mapping(value, "staff") or {}
    problems.keys(data, "staff", (), STAFF_KEYS)
    required = data.get("required", False)
    if not isinstance(required, bool):
        problems.add("staff.required", "must be true or false")
        required = True  # when in doubt, protect the on-call manager
    numbers = {
        number for index, item in enumerate(_list_of(data.get("numbers", []), "staff.numbers", problems))
        if (number := e164(item, problems, f"staff.numbers[{index}]"))
    }
    prefixes = []
    for index, item in enumerate(_list_of(data.get("prefixes", []), "staff.prefixes", problems)):
        if isinstance(item, str) and item.startswith("+") and item[1:].isdigit():
            prefixes.append(item)
        else:
            problems.add(f"staff.prefixes[{index}]", f"'{item}' must be an E.164 prefix such as +4670")
    pin_env = data.get("pin_env")
    if pin_env is not None and not (isinstance(pin_env, str) and pin_env.isidentifier()):
        problems.add("staff.pin_env", "must be the name of an environment variable")
        pin_env = None
    directory = data.get("directory")
    # A file name in the config folder, no path: `ivr reload` checks and loads a copy of that folder.
    if directory is not None and not (isinstance(directory, str) and directory.strip().endswith(".csv")
                                      and Path(directory).name == directory and directory.strip() == directory):
        problems.add("staff.directory", "must be the name of a CSV file in the config folder, e.g. directory.csv")
        directory = None
    return {"staff_required": required, "staff_numbers": frozenset(numbers), "staff_prefixes": tuple(prefixes),
            "staff_pin_env": pin_env, "staff_directory": directory}


def _voices(value: Any, problems: Problems, languages: list[str]) -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    data = problems.mapping(value, "voices") or {}
    for lang in languages:
        entry = problems.mapping(data.get(lang), join("voices", lang))
        if entry is None:
            continue
        problems.keys(entry, join("voices", lang), ("voice", "language"), ())
        voice, tag = entry.get("voice"), entry.get("language")
        if isinstance(voice, str) and isinstance(tag, str):
            voices[lang] = Voice(voice, tag)
    return voices


def _contact(key: str, value: Any, problems: Problems, path: str, required_number: bool = False) -> Contact:
    entry = problems.mapping(value, path) or {}
    problems.keys(entry, path, ("name", "number"), ("sms",))
    raw = entry.get("number")
    number = None if raw is None and not required_number else e164(raw, problems, join(path, "number"))
    sms = e164(entry["sms"], problems, join(path, "sms")) if entry.get("sms") is not None else None
    return Contact(key, problems.text(entry.get("name"), join(path, "name")), number, sms)


def _section(top: Any, name: str, defaults: dict[str, Any], problems: Problems) -> dict[str, Any]:
    data = problems.mapping(top.get(name, {}), name) or {}
    problems.keys(data, name, (), defaults)
    merged = {**defaults, **data}
    for key, default in defaults.items():
        if isinstance(default, int) and (isinstance(merged[key], bool) or not isinstance(merged[key], int)
                                         or merged[key] < 1):
            problems.add(join(name, key), "must be a whole number of at least 1")
            merged[key] = default
    return merged

"""What a text means: intents (first meaningful word, negation, acknowledgements) and system names."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from flows.checklists import load_library
from flows.line import DEFAULT_CHECKLISTS, load_line
from flows.yamlfile import DataError
from ivr.cli import main
from ivr.conversation.replies import Intent, parse, yes_no
from ivr.conversation.system_names import match_system

LINE = load_line()
CHECKLISTS = LINE.library.checklists


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Yes: the first meaningful word, however it is written.
        ("1", Intent.YES), ("JA", Intent.YES), (" ja ", Intent.YES), ("J", Intent.YES), ("Ja!", Intent.YES),
        ("ja det funkar nu", Intent.YES), ("jo", Intent.YES), ("japp", Intent.YES), ("absolut", Intent.YES),
        ("jaaa", Intent.YES), ("ja tack", Intent.YES), ("det funkar", Intent.YES), ("ok det funkar nu", Intent.YES),
        ("Tack, nu funkar det", Intent.YES), ("yes", Intent.YES),
        # No, and negation.
        ("2", Intent.NO), ("nej", Intent.NO), ("N", Intent.NO), ("Nej.", Intent.NO), ("nä", Intent.NO),
        ("nej då", Intent.NO), ("nej det funkar inte", Intent.NO), ("neeej", Intent.NO), ("NÄÄÄ", Intent.NO),
        ("det funkar inte", Intent.NO), ("funkar fortfarande inte", Intent.NO), ("det går inte", Intent.NO),
        ("inte än", Intent.NO),
        # Acknowledgements and thanks are not answers.
        ("ok", Intent.ACK), ("OK.", Intent.ACK), ("okej", Intent.ACK), ("klar", Intent.ACK), ("👍", Intent.ACK),
        ("👍🏻", Intent.ACK), ("Tack!", Intent.THANKS), ("tack så mycket", Intent.THANKS), ("ok tack", Intent.THANKS),
        # Not knowing is its own answer (the engine answers it once it supports it).
        ("vet inte", Intent.DONT_KNOW), ("jag vet inte", Intent.DONT_KNOW), ("vet ej", Intent.DONT_KNOW),
        ("ingen aning", Intent.DONT_KNOW), ("no idea", Intent.DONT_KNOW), ("3", Intent.DONT_KNOW),
        ("VETEJ", Intent.DONT_KNOW), ("I don't know", Intent.DONT_KNOW),
        # Declining the ticket the line filed: the phrase, not "inget" alone.
        ("INGET ÄRENDE", Intent.NO_TICKET), ("inget arende tack", Intent.NO_TICKET), ("no ticket", Intent.NO_TICKET),
        ("Nej, inget ärende", Intent.NO), ("inget", Intent.TEXT),
        # Keywords: as the first meaningful word; STOPP only on its own.
        ("RING", Intent.CALL), ("ring mig", Intent.CALL), ("ringa mig", Intent.CALL), ("meny", Intent.MENU),
        ("menyn", Intent.MENU), ("HJÄLP", Intent.HELP),
        ("hjälp?", Intent.HELP), ("?", Intent.HELP), ("STOPP", Intent.STOP), ("avsluta tack", Intent.STOP),
        ("stopp, fel svar", Intent.TEXT), ("ENGLISH", Intent.LANGUAGE), ("svenska", Intent.LANGUAGE),
        # Neither: asked again.
        ("kanske", Intent.TEXT), ("", Intent.TEXT), ("12", Intent.TEXT), ("hej", Intent.TEXT),
        ("ja men det funkar inte", Intent.TEXT), ("hej jag har startat om", Intent.TEXT),
    ],
)
def test_a_text_is_read_into_one_intent(text: str, intent: Intent) -> None:
    assert parse(text).intent is intent


def test_language_words_say_which_language() -> None:
    assert parse("ENGLISH").lang == "en" and parse("Svenska").lang == "sv"


@pytest.mark.parametrize(("text", "answer"), [("ja", True), ("nej", False), ("ok", None), ("klar", None),
                                              ("vet inte", None), ("tack", None)])
def test_yes_no_reads_only_yes_and_no(text: str, answer: bool | None) -> None:
    assert yes_no(text) is answer


@pytest.mark.parametrize(
    ("text", "system"),
    [
        # Near spellings (rapidfuzz): "vivaomsrog" is Viva omsorg, not Viva, though it starts with "viva".
        ("vivaomsrog", "viva_omsorg"), ("Trygghetlarm", "trygghetslarm"), ("swedlok", "swedlock"),
        ("pascall", "pascal"), ("cosmik", "cosmic_link"), ("vivaomsorgappen", "viva_omsorg"),
        # Aliases from the checklist files.
        ("omsorg", "viva_omsorg"), ("larm", "trygghetslarm"), ("ecare", "alfa_ecare"), ("E-care", "alfa_ecare"),
        ("viva appen", "viva_omsorg"), ("pool", "time_care"), ("nyckel", "swedlock"),
        # A name with more words after it, or a greeting before it.
        ("viva funkar inte", "viva"), ("hej, viva omsorg krånglar", "viva_omsorg"), ("larm går inte", "trygghetslarm"),
        # Beginnings of names.
        ("trygg", "trygghetslarm"), ("time", "time_care"), ("alfa", "alfa_ecare"),
        # Words that are no system.
        ("ja", None), ("nej", None), ("ok", None), ("okej", None), ("klar", None), ("tack", None),
        ("kanske", None), ("hallå", None), ("problem", None), ("vet inte", None), ("ring", None), ("0", None),
    ],
)
def test_system_names_are_matched_forgivingly(text: str, system: str | None) -> None:
    match = match_system(CHECKLISTS, text)
    assert (match.checklist.id if match.checklist else None) == system
    assert match.candidates == ()


def test_a_name_near_two_systems_names_both() -> None:
    match = match_system(CHECKLISTS, "viv")
    assert match.checklist is None
    assert [c.id for c in match.candidates] == ["viva", "viva_omsorg"]


def copy_checklists(tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """The shipped checklists in a temporary folder, with one text replacement per named file."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    for path in DEFAULT_CHECKLISTS.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.stem in edit:
            old, new = edit[path.stem]
            assert old in text
            text = text.replace(old, new)
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def test_an_alias_of_two_systems_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    folder = copy_checklists(tmp_path, {"viva": ("\nsteps:\n", "\naliases: [omsorg]\nsteps:\n")})
    with pytest.raises(DataError) as caught:
        load_library(folder)
    assert caught.value.problems == [
        "checklists/viva_omsorg.yaml: aliases[0]: 'omsorg' already names Viva (checklists/viva.yaml)"
    ]


def test_an_alias_that_is_another_systems_name_is_refused(tmp_path: Path) -> None:
    folder = copy_checklists(tmp_path, {"trygghetslarm": ("aliases: [larm,", "aliases: [Viva omsorg, larm,")})
    with pytest.raises(DataError) as caught:
        load_library(folder)
    assert caught.value.problems == [
        "checklists/trygghetslarm.yaml: aliases[0]: 'Viva omsorg' already names Viva omsorg "
        "(checklists/viva_omsorg.yaml)"
    ]


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ("[ja]", "aliases[0]: 'ja' is already a reply (yes), not a system name"),
        ("[vivan, ring]", "aliases[1]: 'ring' is already a reply (call), not a system name"),
    ],
)
def test_an_alias_that_is_a_reply_word_is_refused_by_ivr_check(tmp_path: Path, aliases: str, problem: str) -> None:
    """The files load (an alias is data); the SMS channel's check refuses the word a reply already means."""
    folder = copy_checklists(tmp_path, {"viva": ("\nsteps:\n", f"\naliases: {aliases}\nsteps:\n")})
    load_library(folder)
    result = CliRunner().invoke(main, ["check", "--checklists", str(folder)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"error: checklists/viva.yaml: {problem}", "1 problem(s) found."]


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ("['7']", "aliases[0]: '7' is a number; texters choose systems by number from the menu"),
        ("['!!']", "aliases[0]: must be a word with letters or digits"),
        ("[larm, Larm]", "aliases[1]: 'Larm' is listed twice"),
        ("larm", "aliases: must be a list of words, e.g. [larm, trygghetslarmet]"),
    ],
)
def test_a_bad_alias_is_refused_naming_file_and_field(tmp_path: Path, aliases: str, problem: str) -> None:
    folder = copy_checklists(tmp_path, {"viva": ("\nsteps:\n", f"\naliases: {aliases}\nsteps:\n")})
    with pytest.raises(DataError) as caught:
        load_library(folder)
    assert caught.value.problems == [f"checklists/viva.yaml: {problem}"]


@given(st.text(max_size=60))
def test_any_text_is_read_without_error(text: str) -> None:
    """Emoji, combining marks, other scripts: every text gets an intent and a system match, never an error."""
    reply = parse(text)
    assert (reply.lang is not None) == (reply.intent is Intent.LANGUAGE)
    match = match_system(CHECKLISTS, text)
    assert match.checklist is None or match.candidates == ()


def test_an_alias_after_a_greeting_word_still_matches(tmp_path: Path) -> None:
    folder = copy_checklists(tmp_path, {"viva": ("\nsteps:\n", "\naliases: [det nya]\nsteps:\n")})
    library = load_library(folder)
    match = match_system(library.checklists, "Det nya")
    assert match.checklist is not None and match.checklist.id == "viva"


def test_ivr_check_names_file_and_field_of_a_clashing_alias(tmp_path: Path) -> None:
    folder = copy_checklists(tmp_path, {"alfa_ecare": ("aliases: [ecare,", "aliases: [larm, ecare,")})
    result = CliRunner().invoke(main, ["check", "--checklists", str(folder)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: checklists/trygghetslarm.yaml: aliases[0]: 'larm' already names Alfa e-Care "
        "(checklists/alfa_ecare.yaml)",
        "1 problem(s) found.",
    ]

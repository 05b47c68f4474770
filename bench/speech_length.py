"""How long the line talks: the menu, and every system's longest after-hours path to the on-call <Dial>.

Run by hand (not in CI), from the repository root, with espeak-ng installed
(`apt-get install espeak-ng`):

    .venv/bin/python bench/speech_length.py            # the figures, per system
    .venv/bin/python bench/speech_length.py --texts    # and each path's texts with their seconds

espeak-ng (Swedish or English voice, default rate) stands in for the real
Polly voice: the figures compare lengths, they do not prove pronunciation.
Each <Say> is synthesised on its own, as Twilio does, from its SSML
(`espeak-ng -m`: <sub> is said as its alias, <prosody rate> and <break> count),
and its length is read from the wav header.

The calls go through the real app as signed webhooks (the simulator's Phone,
in-process, a temporary SQLite file, the clock frozen at a Wednesday 22:00, a
staff number). The paths are every answer sequence (ja, nej, and "vet inte" where a step
takes it) that the checklist engine routes to Chef i beredskap after hours;
the longest of each system is reported. The
speech counted is everything the caller hears before the on-call <Dial> rings
(menu included; the caller presses each key only after the prompt ends, so no
barge-in shortens it). "Menu" is what a caller hears before the first key.
"Without repeated prompts" leaves out every <Say> the caller already heard on
the call (the same key hint at every step): what saying it once would give.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MENU_TARGET_S = 15.0
PATH_TARGET_S = 75.0
AFTER_HOURS = datetime(2026, 11, 25, 22, 0, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Wednesday evening
STAFF_CALLER = "+46701740699"  # in the staff prefix of config/line.yaml
ESPEAK_VOICES = {"sv": "sv", "en": "en"}  # by the first part of a <Say language="sv-SE">


class Speaker:
    """espeak-ng durations of SSML snippets, cached (many prompts repeat)."""

    def __init__(self, folder: Path) -> None:
        self.wav = folder / "say.wav"
        self.cache: dict[tuple[str, str], float] = {}

    def seconds(self, say: ET.Element) -> float:
        """How long espeak-ng takes to say one <Say> element."""
        voice = ESPEAK_VOICES.get(str(say.get("language", "sv")).split("-")[0], "sv")
        inner = (say.text or "") + "".join(ET.tostring(child, encoding="unicode") for child in say)
        key = (voice, inner)
        if key not in self.cache:
            ssml = f"<speak>{inner}</speak>"
            subprocess.run(["espeak-ng", "-m", "-v", voice, "-w", str(self.wav), ssml], check=True,
                           capture_output=True, timeout=60)
            with wave.open(str(self.wav), "rb") as audio:
                self.cache[key] = audio.getnframes() / audio.getframerate()
        return self.cache[key]


# Each answer and its key; "vet inte" (key 3) only on a step that allows it (issue 13, part A).
ANSWER_KEYS: tuple[tuple[Any, str], ...] = ((True, "1"), (False, "2"), ("unknown", "3"))


def on_call_paths(line: Any, checklist_id: str) -> Iterator[list[str]]:
    """The answer keys of every path the engine routes to Chef i beredskap after hours, for a staff caller."""
    from flows import engine
    from flows.model import Outcome
    from flows.routing import Context

    context = Context(office_hours=False)

    def walk(turn: Any, keys: list[str]) -> Iterator[list[str]]:
        for answer, key in ANSWER_KEYS:
            if answer == "unknown" and not getattr(turn.step, "allows_unknown", False):
                continue
            after = engine.answer(line.library, turn.state, answer, context)
            if after.decision is None:
                yield from walk(after, [*keys, key])
            elif after.decision.outcome is Outcome.ON_CALL_MANAGER:
                yield [*keys, key]

    yield from walk(engine.choose(line.library, engine.start().state, checklist_id), [])


class Heard:
    """What the caller hears on one simulated call, up to the first <Dial>."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self.says: list[tuple[str, float]] = []  # (plain text, seconds) before the dial
        self.menu_seconds = 0.0  # before the first key
        self.keyed = False
        self.dialled = False

    def on_say(self, say: ET.Element, leg: bool) -> None:
        from ivr.simulator.voice import spoken_text

        if leg or self.dialled:
            return
        seconds = self.speaker.seconds(say)
        self.says.append((spoken_text(say), seconds))
        if not self.keyed:
            self.menu_seconds += seconds

    def on_line(self, entry: dict[str, str]) -> None:
        if entry["who"] == "caller":
            self.keyed = True
        elif entry["who"] == "system" and entry["text"].startswith("RINGER"):
            self.dialled = True

    @property
    def seconds(self) -> float:
        return sum(seconds for _, seconds in self.says)

    @property
    def first_time_seconds(self) -> float:
        """The same without any prompt the caller already heard on this call (e.g. a key hint at every step)."""
        heard: set[str] = set()
        total = 0.0
        for text, seconds in self.says:
            if text not in heard:
                total += seconds
            heard.add(text)
        return total


def measure(app: Any, speaker: Speaker, keys: list[str]) -> Heard:
    """One call with these keys; what was heard before the on-call dial."""
    from ivr.simulator.voice import Phone

    heard = Heard(speaker)
    result = Phone(app, caller=STAFF_CALLER, on_line=heard.on_line, on_say=heard.on_say).call(keys)
    if result.errors or not heard.dialled:
        raise SystemExit(f"keys {' '.join(keys)}: no on-call dial ({result.errors or 'no Dial'})")
    return heard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", action="store_true", help="print each longest path's texts and seconds")
    parser.add_argument("--speech", action="store_true", help="with speech input on (its offer joins the menu)")
    args = parser.parse_args()

    from ivr import create_app
    from ivr.notify import LogNotifier
    from ivr.simulator.common import PUBLIC_URL

    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    print(f"espeak-ng: {version.strip()}")
    with tempfile.TemporaryDirectory(prefix="ivr-speech-") as tmp:
        speaker = Speaker(Path(tmp))
        runs = iter(range(1_000_000))

        def fresh_app() -> Any:
            # A database of its own for every path: an earlier path's on-call call would otherwise make
            # the next one a known incident ("Chef i beredskap vet redan"), which dials nobody.
            app = create_app({"TWILIO_AUTH_TOKEN": "bench-token", "PUBLIC_URL": PUBLIC_URL,
                              "DATABASE_URL": f"sqlite:///{Path(tmp) / f'speech{next(runs)}.sqlite3'}",
                              "CLOCK": lambda: AFTER_HOURS, "NOTIFIER": LogNotifier()})
            if args.speech:
                line = app.extensions["ivr.line"]
                app.extensions["ivr.line"] = replace(line, settings=replace(line.settings, speech_enabled=True))
            return app

        line = fresh_app().extensions["ivr.line"]
        rows = []
        for checklist in line.library.checklists:
            longest: tuple[Heard, list[str]] | None = None
            count = 0
            for answers in on_call_paths(line, checklist.id):
                count += 1
                keys = [str(checklist.key), *answers]
                app = fresh_app()
                try:
                    heard = measure(app, speaker, keys)
                finally:
                    app.extensions["ivr.store"].dispose()
                if longest is None or heard.seconds > longest[0].seconds:
                    longest = (heard, keys)
            if longest is None:
                raise SystemExit(f"{checklist.id}: no path reaches Chef i beredskap")
            rows.append((checklist.name["sv"], count, *longest))

    menu = rows[0][2].menu_seconds
    print(f"\nmenu (everything before the first key): {menu:.1f} s "
          f"(target <= {MENU_TARGET_S:.0f} s: {'met' if menu <= MENU_TARGET_S else 'MISSED'})")
    print(f"\nlongest after-hours path to the on-call <Dial>, per system (target <= {PATH_TARGET_S:.0f} s):")
    print(f"  {'system':<15} {'paths':>5} {'seconds':>8}  {'keys':<20} {'result':<7} without repeated prompts")
    for name, count, heard, keys in rows:
        verdict = "met" if heard.seconds <= PATH_TARGET_S else "MISSED"
        print(f"  {name:<15} {count:>5} {heard.seconds:>8.1f}  {' '.join(keys):<20} {verdict:<7} "
              f"{heard.first_time_seconds:.1f}")
    worst = max(rows, key=lambda row: row[2].seconds)
    best = min(rows, key=lambda row: row[2].seconds)
    print(f"\nlongest {worst[2].seconds:.1f} s ({worst[0]}), shortest {best[2].seconds:.1f} s ({best[0]})")
    if args.texts:
        for name, _, heard, keys in rows:
            print(f"\n{name} ({' '.join(keys)}):")
            for text, seconds in heard.says:
                print(f"  {seconds:5.1f}  {text}")


if __name__ == "__main__":
    main()

"""The Amazon Polly voices Twilio's <Say> takes, by language: a misspelt voice (`Polly.Astrd`) is refused.

Twilio names them `Polly.<Name>` (standard) and `Polly.<Name>-Neural` (neural engine); `Google.<language>-...`
voices are Google's and are checked only for their language. Only the languages the line may speak are kept.

Sources: Twilio's <Say> reference (https://www.twilio.com/docs/voice/twiml/say: "Any of the Twilio-supported
Amazon Polly Voices, e.g. Polly.Amy"; the list on its Text-to-Speech page) and Amazon Polly's voice list
(https://docs.aws.amazon.com/polly/latest/dg/voicelist.html). The line's own languages (sv-SE: Astrid standard,
Elin neural; en-GB: Amy, Emma, Brian standard and neural, Arthur neural) were checked against Amazon's
voice tables in November 2026; the other English variants are kept as best known. A voice added there later
can be added here.
"""

from __future__ import annotations

# language tag -> {voice name: engines}. "standard" = Polly.<Name>, "neural" = Polly.<Name>-Neural.
POLLY_VOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "sv-SE": {"Astrid": ("standard",), "Elin": ("neural",)},
    "en-GB": {"Amy": ("standard", "neural"), "Brian": ("standard", "neural"), "Emma": ("standard", "neural"),
              "Arthur": ("neural",)},
    "en-US": {"Ivy": ("standard", "neural"), "Joanna": ("standard", "neural"), "Kendra": ("standard", "neural"),
              "Kimberly": ("standard", "neural"), "Salli": ("standard", "neural"), "Joey": ("standard", "neural"),
              "Justin": ("standard", "neural"), "Kevin": ("neural",), "Matthew": ("standard", "neural"),
              "Ruth": ("neural",), "Stephen": ("neural",), "Danielle": ("neural",), "Gregory": ("neural",)},
    "en-AU": {"Nicole": ("standard",), "Russell": ("standard",), "Olivia": ("neural",)},
    "en-IE": {"Niamh": ("neural",)},
    "en-IN": {"Aditi": ("standard",), "Raveena": ("standard",), "Kajal": ("neural",)},
    "en-NZ": {"Aria": ("neural",)},
    "en-ZA": {"Ayanda": ("neural",)},
}


def polly_voice_names(language: str) -> list[str]:
    """Every `Polly.*` name Twilio takes for a language tag, e.g. Polly.Astrid, Polly.Elin-Neural."""
    names = []
    for name, engines in POLLY_VOICES.get(language, {}).items():
        names += [f"Polly.{name}" if engine == "standard" else f"Polly.{name}-Neural" for engine in engines]
    return names


def voice_problem(voice: str, language: str) -> str | None:
    """Why Twilio would not speak `voice` in `language`, or None when it would."""
    if voice.startswith("Google."):
        if voice.startswith(f"Google.{language}-"):
            return None
        return f"'{voice}' is a Google voice for another language than {language}"
    known = polly_voice_names(language)
    if voice in known:
        return None
    if not known:
        return f"no Polly voice is known for {language}"
    return f"'{voice}' is not a Polly voice for {language} (one of: {', '.join(known)})"

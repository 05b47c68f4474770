"""The console's own texts in Swedish and English: Swedish by default, English by the header's switch.

One dictionary, keyed by the Swedish text itself, so a template still reads in Swedish
(`{{ t("Logga ut") }}`) and a text without an English entry shows in Swedish rather than as a
key. A text with values names them (`t("Pågående ({n})", n=3)`). The choice is a cookie of its
own (`ivr_lang`): it holds no personal data, and the sign-in pages, before any session, follow
it too. What the console quotes rather than says (a call's timeline, the history's lines, a
checklist's steps) keeps its own language, marked with `lang` where it differs from the page.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

LANGUAGES = ("sv", "en")
DEFAULT = "sv"
COOKIE = "ivr_lang"
# The switch's link, in the language it switches to (its own `lang`): what to show in the other language.
SWITCH = {"sv": ("en", "In English"), "en": ("sv", "På svenska")}

EN: dict[str, str] = {
    # The frame: base.html, error pages, the nav.
    "Felsökningslinjen": "Felsökningslinjen (the IT help line)",
    "Felsökningslinjen · konsolen": "Felsökningslinjen · the console",
    "Till innehållet": "Skip to content",
    "Konsolen": "Console",
    "Språk": "Language",
    "Inloggad: {who}": "Signed in: {who}",
    "Logga ut": "Sign out",
    "Tillgänglighetsredogörelse": "Accessibility statement",
    "Nu": "Now", "Samtal": "Calls", "Incidenter": "Incidents", "Driftinfo": "Service notices",
    "Beredskap": "On call", "Rapport": "Report", "Historik": "History", "Checklistor": "Checklists",
    "Inloggade nu": "Signed in now",
    "administratör": "administrator", "chef i beredskap": "on-call manager", "läsbehörighet": "read-only",
    "Till konsolens startsida": "To the console's start page",
    "Felaktig begäran": "Bad request", "Du har inte behörighet": "You are not allowed to do that",
    "Sidan finns inte": "The page does not exist", "Det går inte att göra så här": "That cannot be done this way",
    "För mycket på en gång": "Too much at once", "För många försök": "Too many attempts",
    "Något gick fel": "Something went wrong", "Tjänsten svarar inte just nu": "The service is not answering right now",
    "Sidan kan inte visas": "The page cannot be shown",
    "Formuläret gick inte att skicka": "The form could not be sent",
    "Sidan var för gammal eller kom inte från konsolen. Ladda om sidan och försök igen.":
        "The page was too old or did not come from the console. Reload the page and try again.",
    "Din roll i konsolen får se sidan men inte ändra något här. Fråga IT-enheten om du behöver mer.":
        "Your role in the console may see this page but not change anything here. Ask the IT unit if you need more.",
    "Logga in först": "Sign in first",
    "Du behöver logga in för att använda konsolen.": "You need to sign in to use the console.",
    "Sidan finns inte eller kan inte visas så. Välj en sida i menyn.":
        "The page does not exist or cannot be shown like that. Choose a page in the menu.",
    "Sidan finns inte. Välj en sida i menyn.": "The page does not exist. Choose a page in the menu.",
    "Databasen svarar inte": "The database is not answering",
    "Konsolen når inte databasen just nu. Samtal och sms fungerar ändå. Försök igen om en stund.":
        "The console cannot reach the database right now. Calls and texts still work. Try again in a while.",
    "Försök igen. Händer det igen, säg till den som sköter servern. Felet är sparat i loggen.":
        "Try again. If it happens again, tell whoever runs the server. The error is in the log.",
    # Signing in.
    "Logga in": "Sign in",
    "Inloggning med konto är inte inställd": "Signing in with an account is not set up",
    "Konsolen har ingen inloggning med kommunens konton. Fråga IT-enheten.":
        "The console has no sign-in with the municipal accounts. Ask the IT unit.",
    "Kommunens inloggning svarar inte just nu. Försök igen om en stund.":
        "The municipal sign-in is not answering right now. Try again in a while.",
    "Konsolen har ingen inloggning med kommunens konton.": "The console has no sign-in with the municipal accounts.",
    "Inloggningen avbröts eller gick inte att kontrollera. Försök igen.":
        "The sign-in was cancelled or could not be checked. Try again.",
    "{name} har ingen roll i konsolen. Be IT-enheten om behörighet.":
        "{name} has no role in the console. Ask the IT unit for access.",
    "Det gick inte att logga in": "Signing in did not work",
    "Logga in med ditt konto i kommunen. Vad du får göra i konsolen bestäms av din roll där.":
        "Sign in with your municipal account. Your role there decides what you may do in the console.",
    "Logga in med kommunens konto": "Sign in with the municipal account",
    "Reservinloggning med sms-kod": "Back-up sign-in with a text code",
    "Bara när kommunens inloggning inte fungerar.": "Only when the municipal sign-in does not work.",
    "Skriv ditt mobilnummer. Om numret får använda konsolen får du ett sms med en kod.":
        "Type your mobile number. If the number may use the console, you get a text with a code.",
    "För många försök från din dator. Vänta en kvart och försök igen.":
        "Too many attempts from your computer. Wait a quarter of an hour and try again.",
    "Inloggning med sms-kod är avstängd. Logga in med kommunens konto.":
        "Signing in with a text code is turned off. Sign in with the municipal account.",
    "Koden stämmer inte eller har gått ut. Försök igen, eller be om en ny kod.":
        "The code is wrong or has expired. Try again, or ask for a new code.",
    "Välj en person i listan, eller skriv ett giltigt telefonnummer.":
        "Choose a person in the list, or type a valid phone number.",
    "Välj i listan vem bytet gäller i stället för.": "Choose in the list whom the swap replaces.",
    "Den driftinfon finns inte längre.": "That service notice no longer exists.",
    "Driftinfon kunde inte läggas ut. Sluttiden går inte att läsa: välj datum och tid.":
        "The service notice could not be posted. The end time cannot be read: choose a date and time.",
    "Mobilnummer": "Mobile number", "Skicka kod": "Send code", "Skriv koden": "Type the code",
    "Om {who} får använda konsolen kommer ett sms med en kod dit nu. Koden gäller i 10 minuter.":
        "If {who} may use the console, a text with a code is on its way there now. The code is valid for 10 minutes.",
    "Kod från sms:et": "Code from the text", "Fick du ingen kod? Börja om": "No code? Start again",
    # Nu.
    "Sidan uppdateras var {n}:e sekund.": "The page updates every {n} seconds.",
    "Pausa uppdateringen": "Pause the updates", "Visa utan uppdatering": "Show without updates",
    "Sidan uppdateras inte själv.": "The page does not update itself.", "Uppdatera själv igen": "Update it again",
    "kontorstid": "office hours", "utanför kontorstid": "outside office hours",
    "Linjens hälsa": "The line's health", "Databasen": "The database", "svarar inte": "not answering",
    "fungerar": "working", "Senaste samtal eller sms": "Latest call or text", "inget sparat": "none stored",
    "Ärenden som inte har kommit in i IT-portalen än": "Tickets not yet in the IT portal",
    "se": "see", "inga": "none", "Reservsvar (fallback eller fel) i dag": "Fallback answers (fallback or error) today",
    "ja, senast {time}": "yes, latest at {time}", "administratörerna fick sms": "the administrators were texted",
    "nej": "no", "Pågående samtal ({n})": "Calls in progress ({n})", "System": "System", "Var": "Where",
    "Senast": "Latest", "visa samtalet": "show the call", "Inga samtal just nu.": "No calls right now.",
    "Alla samtal och sms": "All calls and texts", "Incidenter ({n})": "Incidents ({n})",
    "öppnad {when}": "opened {when}", "kvitterad {when} av {who}": "acknowledged {when} by {who}",
    "{callers} som ringt, {workplaces} arbetsplatser, {waiting} väntar på sms.":
        "{callers} callers, {workplaces} workplaces, {waiting} waiting for a text.",
    "En incident är känd så länge den har nyheter (samtal, kvittering) inom {n} timmar, tills chefen svarar KLAR.":
        "An incident is known while it has news (calls, acknowledgement) within {n} hours, until the manager "
        "answers KLAR.",
    "Kvittera, lös eller se samtalen om en incident": "Acknowledge, resolve or see the calls about an incident",
    "Inga öppna incidenter.": "No open incidents.", "Driftinfo ute nu": "Service notices out now",
    "till {when}": "until {when}", "Ingen driftinfo ute.": "No service notice out.",
    "Lägg ut eller ändra driftinfo": "Post or change a service notice", "Chef i beredskap nu": "On-call manager now",
    "Ringer i den ordningen utanför kontorstid; var och en måste trycka 1.":
        "Called in this order outside office hours; each one must press 1.",
    # The call log and a call.
    "Samtal och sms, det senaste först. Telefonnummer visas aldrig; ett nummer du söker på görs om till en kod "
    "innan det används. Samtal sparas {n} dagar.":
        "Calls and texts, the latest first. Phone numbers are never shown; a number you search for is turned into "
        "a code before it is used. Calls are kept for {n} days.",
    "Filtrera": "Filter", "Från och med": "From", "Till och med": "To (inclusive)", "Alla system": "All systems",
    "Kanal": "Channel", "Samtal och sms": "Calls and texts", "Utfall": "Outcome", "Alla utfall": "All outcomes",
    "inget utfall (avbrutet eller pågår)": "no outcome (broken off or in progress)",
    "Kod från kvittot": "Code from the receipt",
    "Sex tecken sist i sms-kvittot, till exempel FHUXVL. Söker i alla sparade samtal.":
        "Six characters at the end of the text receipt, for example FHUXVL. Searches all stored calls.",
    "Visar bara samtal från numret du sökte på.": "Showing only calls from the number you searched for.",
    "Sluta filtrera på numret": "Stop filtering on the number", "Visa samtal": "Show calls",
    "Telefonnummer till den som ringde eller sms:ade": "Phone number of the person who called or texted",
    "Sök på numret": "Search for the number", "{n} samtal": "{n} calls",
    ", de {n} senaste visas": ", the latest {n} shown",
    "Ladda ner listan som CSV": "Download the list as CSV",
    "(ett samtal per rad, utan telefonnummer).": "(one call a row, without phone numbers).",
    "Samtalen, kan rullas i sidled": "The calls, scrolls sideways", "Början": "Start", "Kod": "Code",
    "Inget sparat samtal har koden {code}. Kontrollera koden.": "No stored call has the code {code}. Check the code.",
    "Inga samtal med de här filtren.": "No calls with these filters.",
    "Skriv ett telefonnummer, till exempel 070-123 45 67.": "Type a phone number, for example 070-123 45 67.",
    "Datumet {text} går inte att läsa. Välj ett datum i kalendern.":
        "The date {text} cannot be read. Choose a date in the calendar.",
    "Från-datumet är efter till-datumet: visar bara till-datumet.":
        "The from date is after the to date: showing the to date only.",
    "Det systemet finns inte längre i checklistorna.": "That system is no longer in the checklists.",
    "Koden ska vara {n} tecken av {alphabet} (inga 0, O, 1 eller I).":
        "The code is {n} characters of {alphabet} (no 0, O, 1 or I).",
    "Alla samtal": "All calls", "Sms": "Text", "Den som ringde": "The caller", "inget kvitto": "no receipt",
    "Steg för steg": "Step by step", "Meddelanden": "Messages",
    "Inga sms, uppringningar eller ärenden.": "No texts, call-backs or tickets.",
    # Incidents.
    "En incident är ett fel som flera har ringt om. Den är känd så länge den har nyheter inom {n} timmar, tills den "
    "markeras som löst.":
        "An incident is a fault several people have called about. It is known while it has news within {n} hours, "
        "until it is marked as resolved.",
    "{system}: bara {callers} samtal om felet. IT-beredskapen är för kritiska fel som drabbar flera.":
        "{system}: only {callers} call(s) about the fault. IT on call is for critical faults that affect many.",
    "Koppla IT-beredskapen ändå": "Connect IT on call anyway", "Avbryt": "Cancel",
    "Pågående ({n})": "Live ({n})",
    "Öppnad {when}": "Opened {when}", ", kvitterad {when} av {who}": ", acknowledged {when} by {who}",
    "{callers} som ringt, {waiting} väntar på sms när felet är åtgärdat.":
        "{callers} callers, {waiting} waiting for a text when the fault is fixed.",
    "Arbetsplatser": "Workplaces", "inga kända": "none known", "Samtalen om {system}": "The calls about {system}",
    "Kvittera {system}": "Acknowledge {system}", "Markera {system} som löst": "Mark {system} as resolved",
    "{n} som väntar får ett sms om att felet är åtgärdat.": "{n} waiting get a text saying the fault is fixed.",
    "Linjen ringer upp": "The line calls", "Koppla IT-beredskapen": "Connect IT on call",
    "Linjen ringer dig. Tryck 1 så kopplas du till IT-beredskapen. Bara för kritiska fel som drabbar flera.":
        "The line calls you. Press 1 to be connected to IT on call. Only for critical faults that affect many.",
    "IT-beredskapen har inget nummer i Felsökningslinjen. Ring dem själv.":
        "IT on call has no number in Felsökningslinjen. Call them yourself.",
    "Inga pågående incidenter.": "No live incidents.",
    "Lösta det senaste dygnet ({n})": "Resolved in the last 24 hours ({n})",
    "{system}: öppnad {opened}, löst {resolved}, {callers} som ringt.":
        "{system}: opened {opened}, resolved {resolved}, {callers} callers.",
    "Inga.": "None.", "öppen": "open", "kvitterad": "acknowledged", "löst": "resolved",
    "Välj vem linjen ska ringa upp.": "Choose whom the line should call.",
    "Incidenten är redan löst eller inte längre känd. Inget ändrades.":
        "The incident is already resolved or no longer known. Nothing changed.",
    "Incidenten om {system} är kvitterad. De som ringer om felet får höra att chefen vet.":
        "The incident about {system} is acknowledged. Callers about the fault hear that the manager knows.",
    "Incidenten om {system} är löst. {n} som väntade får ett sms nu.":
        "The incident about {system} is resolved. {n} waiting get a text now.",
    "Linjen ringer {who} nu. Tryck 1 i samtalet så kopplas du till IT-beredskapen.":
        "The line calls {who} now. Press 1 in the call to be connected to IT on call.",
    # Announcements.
    "Den som väljer systemet hör texten först och kan sluta där.":
        "Whoever chooses the system hears the text first and can stop there.",
    "Driftinfo för alla system hörs och skickas före menyn.":
        "A service notice for all systems is heard and sent before the menu.",
    "Ute nu": "Out now", "(tills den tas bort)": "(until removed)",
    "Ny sluttid för {system}": "New end time for {system}", "Förläng": "Extend",
    "Ta bort driftinfo för {system}": "Remove the service notice for {system}",
    "Lägg ut driftinfo": "Post a service notice", "Text": "Text",
    "Vanliga sms-tecken. Texten ska rymmas i ett sms med rubriken: det antal tecken som står under rutan, beroende "
    "på system. Tecknen € [ ] { } ~ ^ | \\ räknas som två.":
        "Ordinary text characters. The text must fit in one text message with its heading: the number of "
        "characters shown under the box, depending on the system. The characters € [ ] { } ~ ^ | \\ count as two.",
    "Högst {n} tecken.": "At most {n} characters.", "Gäller till (valfritt)": "Valid until (optional)",
    "Välj datum och tid. Tomt: tills den tas bort.": "Choose a date and time. Empty: until removed.",
    "Förhandsgranska": "Preview", "Publicera": "Publish", "Så här blir det": "This is how it turns out",
    "På svenska": "In Swedish", "På engelska": "In English", "Den som ringer hör:": "A caller hears:",
    "Den som sms:ar får:": "Someone texting gets:",
    "Ingen driftinfo de senaste 30 dagarna.": "No service notices in the last 30 days.",
    "Driftinfo för {system} är publicerad.": "The service notice for {system} is published.",
    "Driftinfon gäller nu till {when}.": "The service notice is now valid until {when}.",
    "Driftinfon är borttagen.": "The service notice is removed.",
    "Den driftinfon var redan borttagen.": "That service notice was already removed.",
    # On call.
    "Chef i beredskap": "On-call manager", "Sparat. Gäller från nästa samtal.": "Saved. It applies from the next call.",
    "Linjen ringer {who} nu. Hen hör att det är ett provsamtal och trycker 1.":
        "The line calls {who} now. They hear that it is a test call and press 1.",
    "Databasen svarar inte: visar bytena som servern har i minnet.":
        "The database is not answering: showing the swaps the server has in memory.",
    "Kedjan nu, {when}": "The chain now, {when}", "Veckan enligt beredskapslistan": "The week by the on-call roster",
    "Vem har beredskap klockan 22 varje dag (efter byten i fetstil)":
        "Who is on call at 22.00 each day (after swaps in bold)",
    "Dag": "Day", "Enligt listan": "By the roster", "Med byten": "With swaps",
    "Ingen (reservlistan)": "Nobody (the fallback list)", "Reservlistan": "The fallback list", "Byten": "Swaps",
    "Avsluta byte #{n}": "End swap #{n}", "Inga byten: beredskapslistan gäller.": "No swaps: the roster applies.",
    "Nytt byte": "New swap", "Vem tar beredskapen": "Who takes the on-call duty", "Välj person": "Choose a person",
    "Eller ett annat telefonnummer": "Or another phone number",
    "Bara om personen inte finns i listan.": "Only if the person is not on the list.",
    "I stället för (tomt: först i kedjan)": "Instead of (empty: first in the chain)",
    "Först i kedjan": "First in the chain", "Från (tomt: nu)": "From (empty: now)",
    "Till (tomt: {when})": "To (empty: {when})", "Anteckning": "Note", "Spara bytet": "Save the swap",
    "Luckor de närmaste {n} dagarna": "Gaps in the next {n} days", "Ingen i beredskap": "Nobody on call",
    "(reservlistan används)": "(the fallback list is used)", "Inga luckor.": "No gaps.", "Provsamtal": "Test call",
    "Linjen ringer en person i listan. Hen hör att det är ett provsamtal och trycker 1. Så vet du att numret och "
    "tangenttrycket fungerar innan en riktig natt.":
        "The line calls a person on the list. They hear that it is a test call and press 1. Then you know the "
        "number and the key press work before a real night.",
    "Vem ska provringas": "Whom to test-call", "Provring": "Test-call",
    "tryckte 1": "pressed 1", "har inte tryckt 1": "has not pressed 1",
    # Report.
    "Senaste 7 dagarna": "The last 7 days", "Senaste 4 veckorna": "The last 4 weeks",
    "Senaste 3 månaderna": "The last 3 months",
    "Databasen svarar inte. Försök igen om en stund.": "The database is not answering. Try again in a while.",
    "Visa": "Show", "Snabbval": "Quick choices", "Period {start} – {end}.": "Period {start} – {end}.",
    "Ladda ner som CSV": "Download as CSV", "samma siffror som kommandot": "the same figures as the command",
    "Varje stapel har en text med sitt värde: håll muspekaren över den. På en smal skärm kan du svepa diagrammet i "
    "sidled.":
        "Each bar has a text with its value: hold the pointer over it. On a narrow screen you can swipe the chart "
        "sideways.",
    "Diagram {n}, kan rullas i sidled": "Chart {n}, scrolls sideways",
    # History.
    "Vem gjorde vad och när: inloggningar, driftinfo, beredskapsbyten, provsamtal, incidenter och sökningar på "
    "samtal.":
        "Who did what and when: sign-ins, service notices, on-call swaps, test calls, incidents and call searches.",
    "Inloggning": "Sign-ins", "Beredskap och provsamtal": "On call and test calls",
    "Sökningar på samtal": "Call searches",
    "Slag": "Kind", "Allt": "Everything", "Vem": "Who", "Alla": "Everyone", "{n} händelser": "{n} events",
    "Händelserna, kan rullas i sidled": "The events, scrolls sideways", "När": "When", "Vad": "What",
    "Inget hände under perioden.": "Nothing happened in the period.",
    # Signed in now.
    "Alla som är inloggade i konsolen, den senaste inloggningen först. En inloggning som avslutas här gäller inte "
    "längre: personen får logga in igen.":
        "Everyone signed in to the console, the latest sign-in first. A sign-in ended here is no longer valid: "
        "the person has to sign in again.",
    "Inloggade, kan rullas i sidled": "Signed in, scrolls sideways", "Roll": "Role", "Inloggad med": "Signed in with",
    "Sedan": "Since", "Senast aktiv": "Last active", "Avsluta": "End", "(du)": "(you)",
    "Avsluta inloggningen för {who}": "End the sign-in of {who}", "Ingen är inloggad.": "Nobody is signed in.",
    "Den inloggningen är redan avslutad.": "That sign-in has already ended.",
    "Inloggningen för {who} är avslutad.": "The sign-in of {who} is ended.",
    # Checklists.
    "Checklistorna i ord": "The checklists in words",
    "Så här låter varje steg i telefon och så här ser sms:et ut. Läses från checklistornas YAML-filer, som "
    "kontrolleras av": "This is how each step sounds on the phone and how the text looks. Read from the "
                        "checklists' YAML files, which are checked by",
    "Checklistorna på engelska": "The checklists in English", "Checklistorna på svenska": "The checklists in Swedish",
    # The accessibility statement.
    "Tillgänglighetsredogörelse för Felsökningslinjens konsol":
        "Accessibility statement for Felsökningslinjen's console",
    "Kommunen står bakom den här webbplatsen, konsolen där IT-enheten och cheferna ser samtal, lägger ut driftinfo "
    "och hanterar incidenter. Vi vill att alla ska kunna använda den. Här beskriver vi hur konsolen uppfyller lagen "
    "om tillgänglighet till digital offentlig service, kända brister och hur du kan rapportera problem.":
        "The municipality runs this website, the console where the IT unit and the managers see calls, post service "
        "notices and handle incidents. We want everyone to be able to use it. Here we describe how the console "
        "meets the Swedish act on accessibility to digital public services, its known shortcomings and how to "
        "report problems.",
    "Hur tillgänglig är konsolen?": "How accessible is the console?",
    "Konsolen uppfyller kraven i WCAG 2.1 nivå AA, så långt vi vet. Varje sida provas automatiskt med axe-core i en "
    "riktig webbläsare, i full bredd och i mobilbredd (375 pixlar), och går att använda med bara tangentbordet.":
        "As far as we know, the console meets WCAG 2.1 level AA. Every page is tested automatically with axe-core in "
        "a real browser, at full width and at phone width (375 pixels), and can be used with the keyboard alone.",
    "Kända brister": "Known shortcomings",
    "Diagrammen på sidan Rapport visar siffrorna som staplar. Varje stapel har en text med sitt värde, och samma "
    "siffror finns i CSV-filen.":
        "The charts on the Report page show the figures as bars. Each bar has a text with its value, and the same "
        "figures are in the CSV file.",
    "Inloggningen med kommunens konto sker hos kommunens inloggningstjänst. Dess tillgänglighet beskrivs där.":
        "Signing in with the municipal account happens at the municipality's sign-in service. Its accessibility is "
        "described there.",
    "Om du stöter på problem": "If you run into problems",
    "Berätta för oss om något inte fungerar, eller om du behöver innehållet i en annan form. Kontakta":
        "Tell us if something does not work, or if you need the content in another form. Contact",
    "på": "on", "eller skapa ett ärende i": "or file a ticket in", "IT-portalen": "the IT portal",
    "Tillsyn": "Supervision",
    "Myndigheten för digital förvaltning (Digg) har tillsyn över lagen. Om du inte är nöjd med hur vi har tagit "
    "hand om dina synpunkter kan du":
        "The Agency for Digital Government (Digg) supervises the act. If you are not satisfied with how we have "
        "handled your comments, you can",
    "anmäla det till Digg": "report it to Digg",
    "Hur vi har testat konsolen": "How we tested the console",
    "Vi har granskat konsolen själva, med automatiska tester (axe-core, WCAG 2.1 A och AA) och med tangentbord. "
    "Redogörelsen uppdaterades senast {when}.":
        "We reviewed the console ourselves, with automatic tests (axe-core, WCAG 2.1 A and AA) and with the "
        "keyboard. The statement was last updated on {when}.",
    # Outcomes, channels and message states in words (ivr/admin/words.py).
    "löst med checklistan": "solved with the checklist", "till IT-supporten": "to IT support",
    "till IT-portalen": "to the IT portal", "till lokal kontakt": "to the local contact",
    "känt fel hos leverantören": "known fault at the supplier",
    "kopplad till chef i beredskap": "connected to the on-call manager",
    "väntar på IT-supporten (kontorstid)": "waiting for IT support (office hours)",
    "hörde driftinfon och avslutade": "heard the service notice and hung up",
    "känd incident: sms när det är åtgärdat": "known incident: a text when it is fixed",
    "lade på": "hung up", "pågår eller avbrutet": "in progress or broken off",
    "samtal": "call", "sms": "text",
    "väntar": "waiting", "skickas": "sending", "köad hos Twilio": "queued at Twilio", "skickad": "sent",
    "levererad": "delivered", "inte levererad": "not delivered", "misslyckades": "failed", "gavs upp": "given up",
    "bara loggad, inget Twilio-konto": "logged only, no Twilio account",
    "avbrutet, den som ringde tackade nej": "cancelled, the caller said no",
    "oidc": "municipal account", "sms-kod": "text code",
    "numret är glömt (samtalet är slut)": "the number is forgotten (the call has ended)",
    "kommunens konto": "municipal account",
    "(okänt)": "(unknown)", "okänt steg": "unknown step", "(inget valt ännu)": "(nothing chosen yet)",
    "menyn": "the menu", "utfall: {outcome}": "outcome: {outcome}", "hör driftinfo": "hearing a service notice",
    "steg {n} av {total}": "step {n} of {total}", "eskalerad": "escalated",
    # The call log's CSV columns.
    "start": "start", "senast": "latest", "kanal": "channel", "system": "system", "utfall": "outcome",
    "utfallskod": "outcome code", "kod": "code", "steg besvarade": "steps answered",
}


def language() -> str:
    """The console's language for this request: the switch's cookie, else Swedish."""
    if not has_request_context():
        return DEFAULT
    chosen = request.cookies.get(COOKIE, DEFAULT)
    return chosen if chosen in LANGUAGES else DEFAULT


def t(text: str, /, **values: Any) -> str:
    """A console text in the request's language, its {names} filled in."""
    said = EN.get(text, text) if language() == "en" else text
    return said.format(**values) if values else said

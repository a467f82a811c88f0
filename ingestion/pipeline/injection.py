"""Instruction-like text in documents: what a prompt injection looks like, found with patterns.

A document is data, but a hostile one is written to be read as instructions by the model that
answers from it. This module finds the usual shapes of such text, in English and French:

- ``override``: "ignore previous instructions", "ignorez les consignes précédentes", "from now
  on", "new instructions:", "reveal your system prompt";
- ``role``: chat-template and role tokens that fake a turn: ``<|im_start|>``, ``[INST]``,
  ``<<SYS>>``, ``### System:`` / ``### Instruction:``, a line starting with ``assistant:``;
- ``assistant``: text addressing the model or telling it what to say: "you are now an AI",
  "dear assistant", "tell the user", "dis à l'utilisateur", "if asked about…, answer…", "list
  every collection";
- ``credentials``: a request for a password, login, code or card number ("re-enter your
  password", "saisissez votre mot de passe"); a warning ("never share your password") is not one;
- ``link``: a link to a host outside the company (`trusted_hosts`; empty means every external
  link counts), markdown images and ``javascript:``/``data:`` targets included;
- ``hidden``: an HTML comment left in the text.

Pure functions on strings (no ORM, no settings): ingestion stores the reasons on each chunk, and
the chat uses the same functions on passages and on answer sentences. Offsets of a Finding are
offsets in the text given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REASONS = ("override", "role", "assistant", "credentials", "link", "hidden")


@dataclass(frozen=True)
class Finding:
    reason: str  # one of REASONS
    start: int
    end: int
    text: str


def fold(text: str) -> str:
    """Lowercase without accents, one character for one (offsets stay valid)."""
    return "".join(unicodedata.normalize("NFD", c.lower())[:1] or c for c in text)


_FLAGS = re.IGNORECASE | re.MULTILINE
# Within one sentence: at most this many characters between the two halves of a pattern.
_GAP = r"[^.!?\n]{0,50}?"
_APOSTROPHE = "['\u2019]"

_OVERRIDE = [
    rf"\b(?:ignore|disregard|forget|override|bypass)\b{_GAP}\b(?:instructions?|prompts?|rules|"
    r"directions|directives?|guidelines|constraints|context)\b",
    rf"\b(?:ignore[zs]?|ignorer|oublie[zs]?|oublier|ne tiens? pas compte|ne tenez pas compte|"
    rf"fais abstraction|faites abstraction){_GAP}\b(?:instructions?|consignes?|regles|"
    r"directives?|prompts?)\b",
    r"\bfrom now on\b",
    r"\b(?:a partir de maintenant|desormais,)",
    r"\bnew (?:instructions?|rules|task|system prompt)\s*:",
    r"\bnouvelles? (?:instructions?|consignes?|regles)\s*:",
    rf"\b(?:reveal|print|show|output|repeat|leak|dump|display|disclose)\b{_GAP}\b(?:system "
    r"prompt|your prompt|your instructions|hidden instructions|initial instructions)\b",
    rf"\b(?:revele[zr]?|affiche[zr]?|montre[zr]?|divulgue[zr]?|repete[zr]?|donne[zr]?)\b{_GAP}"
    r"\b(?:prompt systeme|ton prompt|votre prompt|tes instructions|vos instructions|"
    r"tes consignes|vos consignes)\b",
    r"\b(?:system|developer) (?:prompt|message)\b",
    r"\b(?:prompt|message) (?:systeme|system)\b",
]
_ROLE = [
    r"<\|[a-z_]{2,24}\|>",
    r"\[/?inst\]",
    r"<</?sys>>",
    r"</?s>",
    r"<(?:start|end)_of_turn>",
    r"^[ \t>*]*#{1,4}[ \t]*(?:system|instructions?|response|human|assistant|user|input|"
    r"systeme|reponse|utilisateur)[ \t]*:?[ \t]*$",
    r"^[ \t>*]*#{1,4}[ \t]*(?:system|instructions?|response|human|assistant|user|systeme|"
    r"reponse|utilisateur)[ \t]*:",
    r"^[ \t>*]*(?:assistant|human|ai|ia)[ \t]*:[ \t]*\S",
    r"^[ \t>*]*(?:system|systeme)[ \t]*:[ \t]*(?:you|tu |vous|ignore|new |nouvel|from now|the "
    r"assistant|l'assistant)",
    r"^[ \t>*]*(?:user|utilisateur)[ \t]*:[ \t]*(?:ignore|tell|say|answer|repond|dis|liste|list)",
]
_ASSISTANT = [
    r"\b(?:you are|you're) (?:now |no longer )?(?:an?|the|my) (?:ai|assistant|chatbot|language "
    r"model|llm|model|bot)\b",
    r"\bas an? (?:ai|language model|assistant|chatbot)\b",
    r"\b(?:dear|hey|hello|hi|attention|note to(?: the)?) (?:ai|assistant|chatbot|model|llm|bot|"
    r"chatgpt|gpt)\b",
    r"(?:^|(?<=[.!?;]\s))[ \t]*(?:ai|assistant|chatbot|llm|model|bot)s?[ \t]*[,:][ \t]*(?:please|"
    r"you|ignore|tell|say|answer|reply|always|never|do|end|start|append|include|list|reveal)",
    r"\b(?:always|never)\s+(?:end|start|begin|finish|sign|close)\s+(?:your|each|every)\s+"
    r"(?:answers?|responses?|replies|messages?)\b",
    rf"\b(?:append|add|include|insert|attach)\b{_GAP}\b(?:to|in|at the end of)\s+(?:your|each|"
    r"every|the)\s+(?:answers?|responses?|replies|output)\b",
    r"\bwhen you (?:answer|reply|respond)\b",
    r"\bquand (?:tu reponds|vous repondez)\b",
    rf"\b(?:ajoute[zr]?|termine[zr]?|commence[zr]?|insere[zr]?)\b{_GAP}\b(?:ta|votre|chaque) "
    r"reponse\b",
    r"\b(?:tell|inform|instruct|advise|remind|warn|ask) (?:the|every|all|each) (?:users?|readers?|"
    r"employees?|humans?|askers?)\b",
    r"\bsay to the (?:user|reader|employee)\b",
    rf"\bif (?:you are |you're |anyone |someone |the user |a user )?(?:is )?asked\b{_GAP}"
    r"\b(?:say|answer|reply|respond|tell)\b",
    r"\b(?:your|the) (?:answer|response|reply) (?:must|should|shall) (?:say|state|claim|be|"
    r"include|contain|mention)\b",
    r"\btu es (?:maintenant |desormais )?(?:un |une |l['\u2019])\s*(?:ia|assistant|assistante|"
    r"chatbot|modele|robot)\b",
    r"\b(?:cher|chere) (?:assistant|assistante|ia|modele|chatbot)\b",
    rf"\b(?:dis|dites|dire|indique[zr]?|reponds|repondez|repondre|annonce[zr]?|explique[zr]?|"
    rf"affirme[zr]?|previens|prevenez)\s+(?:a|aux)\s+(?:l{_APOSTROPHE}\s*|les\s+|chaque\s+)?"
    r"(?:utilisat\w*|lecteur\w*|lectrice\w*|salarie\w*|employe\w*|demandeur\w*)",
    rf"\bsi (?:on te demande|on vous demande|l{_APOSTROPHE}utilisateur demande)\b",
    r"\b(?:ta|votre) reponse (?:doit|devra)\b",
    r"\b(?:list|enumerate|show|print|name|dump|output)\b (?:me )?(?:every|all|each) (?:of )?(?:the "
    r")?(?:collections?|documents|files|users|accounts|sources)\b",
    r"\b(?:liste[zr]?|enumere[zr]?|affiche[zr]?|montre[zr]?|donne[zr]?)\b (?:moi )?(?:toutes|tous|"
    r"chacune|chacun) (?:les |des )?(?:collections|documents|fichiers|utilisateurs|comptes|"
    r"sources)\b",
]
_CREDENTIAL_VERB = (
    r"\b(?:re-?enter|enter|type|input|retype|confirm|provide|send|share|submit|verify|validate|"
    r"give|reply with|email|e-mail|disclose|tell us|fill in|log ?in with|sign in with|"
    r"saisi\w*|ressaisi\w*|re-?saisi\w*|entre[zr]?|retape[zr]?|tape[zr]?|confirme[zr]?|"
    r"communique[zr]?|envoie[zr]?|envoye[zr]|fourni\w*|indique[zr]?|donne[zr]?|renseigne[zr]?|"
    r"transmet\w*|valide[zr]?|verifie[zr]?)\b"
)
_CREDENTIAL_NOUN = (
    r"\b(?:passwords?|passcodes?|passphrases?|pins?|pin codes?|credentials?|login details|logins?|"
    r"sign-in details|one-time codes?|otp|2fa codes?|mfa codes?|verification codes?|security "
    r"codes?|card numbers?|cvv|cvc|iban|account (?:details|number)|"
    r"mots? de passe|identifiants?|codes? (?:pin|secret|confidentiel|de verification|d'acces|"
    r"d\u2019acces)|coordonnees bancaires|numeros? de carte)\b"
)
_CREDENTIAL = re.compile(
    rf"{_CREDENTIAL_VERB}{_GAP}{_CREDENTIAL_NOUN}"
    r"|\bverify your (?:account|identity)\b|\bverifie[zr]? (?:votre|ton) (?:compte|identite)\b",
    _FLAGS,
)
# A warning about credentials is not a request for them: "never share your password".
# ("don't forget to re-enter your password" still is.)
_NEGATION = re.compile(
    r"(?:\b(?:never|not|don't|no one|nobody|jamais|ne)\s+|\bn['\u2019]\s*)"
    r"(?!forget|hesitate|fail|oubli|hesit|manque)(?:[\w'\u2019-]+\s+){0,2}$",
    _FLAGS,
)

_URL = re.compile(
    r"\b(?:https?|ftp)://[^\s<>\"'`()\[\]{}]+"
    r"|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>\"'`()\[\]{}]*"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/[^\s<>\"'`()\[\]{}]*",
    re.IGNORECASE,
)
# A bare domain with a common top-level domain ("visit evil.example"), lowercase as people write
# them (not "ASP.NET"), not the domain of an e-mail address.
_BARE_DOMAIN = re.compile(
    r"(?<![@\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|example|info|biz|xyz|"
    r"ru|cn|top|app|dev|co|me|fr|eu|uk|de|us|ly|gl|site|online|click|link|zip)\b(?!\.?[\w@-])"
)
_MARKDOWN_TARGET = re.compile(r"(!?)\[[^\]\n]{0,300}\]\(\s*<?([^)\s>]+)", re.IGNORECASE)
_HTML_TARGET = re.compile(r"\b(?:src|href)\s*=\s*[\"']?([^\s\"'>]+)", re.IGNORECASE)
_UNSAFE_SCHEME = re.compile(r"^\s*(?:javascript|data|vbscript|file):", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»\"'”’"  # noqa: RUF001 - closing quotes
_HIDDEN = re.compile(r"<!--|-->")

_SINGLE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")
_COMPILED = {
    "override": [re.compile(p, _FLAGS) for p in _OVERRIDE],
    "role": [re.compile(p, _FLAGS) for p in _ROLE],
    "assistant": [re.compile(p, _FLAGS) for p in _ASSISTANT],
}


def find_instructions(text: str, *, trusted_hosts: Sequence[str] = ()) -> list[Finding]:
    """Every instruction-like stretch of `text`, in order of position."""
    folded = fold(text)
    # Wrapped lines (PDF text, table cells) split phrases: patterns also run with each single
    # line break read as a space (same length, so offsets hold); blank lines still separate.
    unwrapped = _SINGLE_NEWLINE.sub(" ", folded)
    spans: set[tuple[str, int, int]] = set()
    for variant in (folded, unwrapped) if unwrapped != folded else (folded,):
        for reason, patterns in _COMPILED.items():
            for pattern in patterns:
                spans.update((reason, m.start(), m.end()) for m in pattern.finditer(variant))
        spans.update(("credentials", a, b) for a, b in _credential_requests(variant))
    spans.update(("link", a, b) for a, b, _target in _external_targets(text, trusted_hosts))
    spans.update(("hidden", m.start(), m.end()) for m in _HIDDEN.finditer(text))
    found = [Finding(reason, a, b, text[a:b]) for reason, a, b in spans]
    return sorted(found, key=lambda f: (f.start, f.end, f.reason))


def injection_reasons(text: str, *, trusted_hosts: Sequence[str] = ()) -> list[str]:
    """The reasons found in `text`, in REASONS order; [] for ordinary text."""
    present = {f.reason for f in find_instructions(text, trusted_hosts=trusted_hosts)}
    return [reason for reason in REASONS if reason in present]


def asks_for_credentials(text: str) -> bool:
    """Whether `text` requests a password, login, code or card number (a warning does not)."""
    return bool(_credential_requests(fold(text)))


def _credential_requests(folded: str) -> list[tuple[int, int]]:
    spans = []
    for match in _CREDENTIAL.finditer(folded):
        if _NEGATION.search(folded, max(0, match.start() - 40), match.start()):
            continue
        spans.append((match.start(), match.end()))
    return spans


# --- links ------------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """A URL as compared: lowercase, no scheme, no "www.", no trailing punctuation or slash."""
    value = url.strip().rstrip(_TRAILING).lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.removeprefix("www.")
    return value.rstrip("/")


def url_host(url: str) -> str:
    """The host of a URL (or of a bare "host/path"), lowercase, without port or credentials."""
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip().lower())
    host = re.split(r"[/?#]", value, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    return host.split(":", 1)[0].rstrip(_TRAILING)


def is_trusted_host(host: str, trusted_hosts: Iterable[str]) -> bool:
    """`host` is one of the company's hosts or a subdomain of one."""
    host = host.lower().rstrip(".")
    for trusted in trusted_hosts:
        trusted = trusted.strip().lower().lstrip(".").rstrip(".")
        if trusted and (host == trusted or host.endswith("." + trusted)):
            return True
    return False


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every link target in `text`: plain URLs, "www." and "host.tld/path",
    markdown link and image targets, HTML src/href attributes. Relative targets are included."""
    found: dict[tuple[int, int], str] = {}
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        found[(match.start(), match.start() + len(url))] = url
    for match in _BARE_DOMAIN.finditer(text):
        if not any(start <= match.start() < end for start, end in found):
            found[(match.start(), match.end())] = match.group(0)
    for match in _MARKDOWN_TARGET.finditer(text):
        found.setdefault((match.start(), match.end()), match.group(2))
    for match in _HTML_TARGET.finditer(text):
        found.setdefault((match.start(), match.end()), match.group(1))
    return [(start, end, url) for (start, end), url in sorted(found.items())]


def _external_targets(text: str, trusted_hosts: Sequence[str]) -> list[tuple[int, int, str]]:
    external = []
    for start, end, url in find_urls(text):
        image = text[start : start + 2] == "!["
        if _UNSAFE_SCHEME.match(url):
            external.append((start, end, url))
            continue
        host = url_host(url)
        if "." not in host:  # a relative target ("/docs/x", "#top"): only an image is suspect
            if image:
                external.append((start, end, url))
            continue
        if not is_trusted_host(host, trusted_hosts):
            external.append((start, end, url))
    return external


def external_links(text: str, *, trusted_hosts: Sequence[str] = ()) -> list[str]:
    """The link targets of `text` outside the trusted hosts, as written."""
    return [url for _start, _end, url in _external_targets(text, trusted_hosts)]


# --- contact details --------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t.\-()/\u00a0]{6,}\d(?!\w)")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+(?:[.,]\d+)?")


def find_emails(text: str) -> list[str]:
    """E-mail addresses in `text`, lowercase."""
    return [match.group(0).lower() for match in _EMAIL.finditer(text)]


def find_phone_numbers(text: str) -> list[str]:
    """Phone numbers in `text` as their last nine digits ("+33 1 23 45 67 89" and
    "01 23 45 67 89" give the same key). Amounts grouped by thousands are not phone numbers."""
    numbers = []
    for match in _PHONE.finditer(text):
        raw = match.group(0).strip()
        digits = re.sub(r"\D", "", raw)
        if not 9 <= len(digits) <= 15 or _THOUSANDS.fullmatch(raw):
            continue
        numbers.append(digits[-9:])
    return numbers

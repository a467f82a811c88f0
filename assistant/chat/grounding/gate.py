"""Generated text reaches the reader only sentence by sentence, after each sentence is checked.

The model's pieces are buffered; a sentence is complete once the next one has begun (or the
stream ended), since citations and closing quotes may still follow its final dot. Each complete
sentence is then screened (assistant.chat.grounding.injection: instructions, credentials, links,
contact details, repeated injected text) and, when it makes a claim, verified against the
passages. It is released when it is not withheld and its status is one the answer mode shows as it
streams; otherwise it waits for the final answer (which verifies everything again and decides
what is displayed) or, when withheld, is never shown at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.chat.grounding.sentences import split_sentences
from assistant.chat.grounding.verify import AnswerVerifier, add_missing_citations, is_claim


@dataclass
class SentenceGate:
    verifier: AnswerVerifier
    shown_statuses: frozenset[str]  # e.g. {"supported"} in auto mode
    present: Callable[[str], str] = str  # applied to a released sentence (citations, masking)
    released: list[str] = field(default_factory=list)
    withheld: list[tuple[str, list[str]]] = field(default_factory=list)
    held: int = 0  # sentences kept for the final answer to decide
    _raw: str = ""
    _decided: int = 0  # offset in _raw up to which sentences have been decided
    _last_end: int = 0  # end of the last released sentence in _raw

    def feed(self, piece: str) -> list[str]:
        """Add a piece of generated text; returns what may be shown now (possibly nothing)."""
        self._raw += piece
        return self._release(final=False)

    def close(self) -> list[str]:
        """The stream ended: decide the last sentence."""
        return self._release(final=True)

    @property
    def shown(self) -> str:
        """Everything released so far, as the reader saw it."""
        return "".join(self.released).strip()

    def _release(self, *, final: bool) -> list[str]:
        base = self._decided
        spans = split_sentences(self._raw[base:], self.verifier.lang)
        complete = spans if final else spans[:-1]
        out: list[str] = []
        for span in complete:
            start, end = base + span.start, base + span.end
            self._decided = end
            checked = self._checked(span.text)
            if checked is None:
                continue
            gap = self._raw[self._last_end : start]
            separator = "" if not self.released else ("\n" if "\n" in gap else " ")
            text = separator + self.present(checked)
            self._last_end = end
            self.released.append(text)
            out.append(text)
        return out

    def _checked(self, sentence: str) -> str | None:
        """The sentence as it may be shown now (with the citation it forgot added, as the final
        answer will have it), or None."""
        reasons = self.verifier.withheld(sentence)
        if reasons:
            self.withheld.append((sentence, reasons))
            return None
        if not is_claim(sentence):
            return sentence
        verification = self.verifier.verify(sentence)
        repaired = add_missing_citations(sentence, verification)
        if repaired != sentence:
            sentence, verification = repaired, self.verifier.verify(repaired)
        if all(check.status in self.shown_statuses for check in verification.sentences):
            return sentence
        self.held += 1
        return None

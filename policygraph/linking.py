"""Entity linking with spaCy: one multilingual PhraseMatcher built from every term's aliases.

A blank multilingual pipeline (`spacy.blank("xx")`) tokenises; the PhraseMatcher matches alias token
sequences on the lower-cased text, so "Terrororganisation", "terrorist group" and "आतंकवादी संगठन" all
link to the same canonical Term. Scripts written without spaces between words (Chinese, Japanese,
Thai) are not tokenised into words by the blank pipeline, so aliases in those scripts are matched as
substrings instead.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from policygraph.language import UNSPACED_SCRIPTS
from policygraph.models import LinkedTerm, TermDoc
from policygraph.normalize import break_long_runs


def _unspaced(alias: str) -> bool:
    for ch in alias:
        if ch.isalpha():
            try:
                name = unicodedata.name(ch)
            except ValueError:
                continue
            return name.startswith(UNSPACED_SCRIPTS)
    return False


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class _Matching:
    """One consistent matching state: the tokenizer, the matcher over its vocabulary and the alias tables."""
    nlp: Language
    matcher: PhraseMatcher
    unspaced: list[tuple[str, str, str, str]]  # (normalised alias, alias, lang, term id)
    names: dict[str, str]
    alias_lang: dict[tuple[str, str], str]


class TermLinker:
    #: lexemes the tokenizer may learn from content before it is renewed (~8 MB). spaCy keeps every new token it
    #: tokenises in its vocabulary for ever: a server reading content full of user names, links and typos grew
    #: ~1.2 KB per request (30 MB over a 10-minute soak). A renewed tokenizer starts from the aliases again.
    VOCAB_LIMIT = 20_000

    def __init__(self, terms: Iterable[TermDoc] = (), *, nlp: Language | None = None,
                 patterns: dict[str, Doc] | None = None, base_vocab: int | None = None) -> None:
        """`nlp`, `patterns`, `base_vocab`: a tokenizer to share with another linker (see `derived`)."""
        self._nlp: Language = nlp if nlp is not None else spacy.blank("xx")
        #: normalised alias -> its tokenised pattern (in `_nlp`'s vocabulary): tokenising every alias again made
        #: each rebuild (after every write, twice) cost ~0.3 s of a publish's exclusive phase on the bundled corpus
        self._patterns: dict[str, Doc] = patterns if patterns is not None else {}
        #: lexemes `_nlp` holds for its aliases (the rest it learned from content)
        self._base_vocab: int = base_vocab if base_vocab is not None else len(self._nlp.vocab)
        self._lock = threading.Lock()
        self._renewing = False
        self._terms: list[TermDoc] | None = None  # the vocabulary the matcher was built from
        self._offered: TermLinker | None = None  # the last linker `derived` from this one (see `rebuild`)
        self._state: _Matching
        #: matchers this linker built itself (not taken over from a derived one)
        self.builds = 0
        self.rebuild(terms)

    def derived(self, terms: Iterable[TermDoc]) -> TermLinker:
        """A linker over other terms that shares this one's tokenizer and tokenised aliases (a write links
        its new texts with the vocabulary it is about to store, before the live linker changes); this one
        when the terms are its own."""
        terms = list(terms)
        if terms == self._terms:  # the vocabulary a write stores is the live one (most publishes): this linker
            return self
        derived = TermLinker(terms, nlp=self._nlp, patterns=self._patterns, base_vocab=self._base_vocab)
        self._offered = derived
        return derived

    def rebuild(self, terms: Iterable[TermDoc]) -> None:
        """Match these terms from now on. When they are the vocabulary the last `derived` linker was built
        over (a write links its texts with one, then stores exactly those terms), its matcher is taken over
        instead of built again (0.5 s of a one-rule publish at 100k rules, 4,600 terms)."""
        terms = list(terms)
        offered, self._offered = self._offered, None
        if terms == self._terms:  # most writes leave the vocabulary as it was
            return
        taken = offered.matching_over(terms, self._nlp) if offered is not None else None
        if taken is not None:
            with self._lock:
                self._state, self._terms = taken[0], terms
                self._base_vocab = max(self._base_vocab, taken[1])
            return
        before = len(self._nlp.vocab)
        state = self._build(self._nlp, self._patterns, terms)
        self.builds += 1
        with self._lock:
            self._state, self._terms = state, terms
            self._base_vocab += len(self._nlp.vocab) - before  # new aliases' lexemes

    def matching_over(self, terms: list[TermDoc], nlp: Language) -> tuple[_Matching, int] | None:
        """This linker's matching state and the size of its aliases' vocabulary, when it was built over exactly
        `terms` with the tokenizer `nlp` (what the linker it was derived from takes over), else None."""
        if nlp is not self._nlp or self._terms != terms:
            return None
        return self._state, self._base_vocab

    @staticmethod
    def _build(nlp: Language, cache: dict[str, Doc], terms: list[TermDoc]) -> _Matching:
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        unspaced: list[tuple[str, str, str, str]] = []
        names: dict[str, str] = {}
        alias_lang: dict[tuple[str, str], str] = {}
        for t in terms:
            names[t.id] = t.term
            patterns = []
            for lang, alias in t.all_aliases():
                alias = alias.strip()
                if len(alias) < 2:
                    continue
                if _unspaced(alias):
                    unspaced.append((_norm(alias), alias, lang, t.id))
                else:
                    norm = _norm(alias)
                    doc = cache.get(norm)
                    if doc is None:
                        doc = cache[norm] = nlp.make_doc(norm)
                    patterns.append(doc)
                    alias_lang.setdefault((t.id, norm), lang)
            if patterns:
                matcher.add(t.id, patterns)
        in_use = {norm for _, norm in alias_lang}
        if len(cache) > 2 * len(in_use) + 1024:  # aliases no longer defined leave the cache
            for norm in [n for n in cache if n not in in_use]:
                cache.pop(norm, None)
        return _Matching(nlp, matcher, unspaced, names, alias_lang)

    def _renew(self) -> None:
        """A fresh tokenizer and matcher over the same terms, swapped in whole (readers go on meanwhile)."""
        try:
            with self._lock:
                terms = list(self._terms or [])
            nlp, cache = spacy.blank("xx"), dict[str, Doc]()
            state = self._build(nlp, cache, terms)
            with self._lock:
                if self._terms == terms:  # not rebuilt meanwhile
                    self._state, self._nlp, self._patterns = state, nlp, cache
                    self._base_vocab = len(nlp.vocab)
        finally:
            self._renewing = False

    def _renew_when_grown(self, st: _Matching) -> None:
        if len(st.nlp.vocab) > self._base_vocab + self.VOCAB_LIMIT and not self._renewing:
            with self._lock:
                if self._renewing:
                    return
                self._renewing = True
            threading.Thread(target=self._renew, name="linker-renew", daemon=True).start()

    @property
    def size(self) -> int:
        return len(self._state.names)

    @property
    def vocab_size(self) -> int:
        """Lexemes its tokenizer knows now (about `VOCAB_LIMIT` more than its aliases' at most)."""
        return len(self._state.nlp.vocab)

    def link(self, text: str) -> list[LinkedTerm]:
        """Terms mentioned in `text`, longest match first where matches overlap, in text order."""
        norm = _norm(text)
        with self._lock:
            st = self._state
        nlp, matcher, unspaced, names, alias_lang = st.nlp, st.matcher, st.unspaced, st.names, st.alias_lang
        doc = nlp.make_doc(break_long_runs(norm))
        self._renew_when_grown(st)
        found: list[LinkedTerm] = []
        for match_id, start, end in matcher(doc):
            tid = nlp.vocab.strings[match_id]
            span = doc[start:end]
            found.append(LinkedTerm(term_id=tid, term=names[tid], alias=text[span.start_char:span.end_char],
                                    language=alias_lang.get((tid, span.text), "xx"),
                                    start=span.start_char, end=span.end_char))
        for alias_norm, alias, lang, tid in unspaced:  # plain substring search: no regex per alias
            i = norm.find(alias_norm)
            while i >= 0:
                found.append(LinkedTerm(term_id=tid, term=names[tid], alias=alias, language=lang,
                                        start=i, end=i + len(alias_norm)))
                i = norm.find(alias_norm, i + 1)
        # drop matches contained in a longer one; keep one mention per (term, start)
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        out: list[LinkedTerm] = []
        last_end = -1
        for m in found:
            if m.start >= last_end or (out and m.end > out[-1].end and m.term_id != out[-1].term_id and m.start > out[-1].start):
                out.append(m)
                last_end = max(last_end, m.end)
        return out

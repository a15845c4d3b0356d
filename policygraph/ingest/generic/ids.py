"""Ids, slugs and dates: slugs of titles, section ids (slug paths), stable rule ids (`{PREFIX}-{HASH}`
of the rule text, step 6 of the builder's docstring), metadata lines and the effective date."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter

__all__ = ["METADATA", "RuleIds", "dedupe", "find_date", "heading_slug", "rule_prefix", "slugify"]


def slugify(text: str) -> str:
    """ascii, lower case, [a-z0-9-]; "" when nothing of the text survives."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def rule_prefix(policy_id: str) -> str:
    """2-4 upper-case letters from a policy id: the initials of its words (community-guidelines ->
    CG), or the first two letters of a one-word id (privacy -> PR); PG when it has no letters."""
    words = [w for w in re.split(r"[^a-z0-9]+", policy_id.lower()) if w]
    initials = [w[0] for w in words if w[0].isalpha()][:4]
    if len(initials) >= 2:
        return "".join(initials).upper()
    letters = "".join(c for w in words for c in w if c.isalpha())
    if len(letters) >= 2:
        return (initials[0] + letters[1] if initials else letters[:2]).upper()
    return "PG"


def heading_slug(title: str) -> str:
    """A heading's part of a section id: its slug, or "s" + 6 hex digits of its sha1 when nothing of
    the title survives slugging."""
    return slugify(title) or "s" + hashlib.sha1(title.encode()).hexdigest()[:6]


def dedupe(base: str, used: Counter[str]) -> str:
    """`base` the first time it is asked for (counted in `used`), then `base-2`, `base-3`, ..."""
    used[base] += 1
    return base if used[base] == 1 else f"{base}-{used[base]}"


def _id_text(text: str) -> str:
    return " ".join(text.split())


class RuleIds:
    """Hands out rule ids `{prefix}-{HASH}`, in document order: HASH = the first 8 hex digits (upper
    case) of the sha1 of the whitespace-normalised text; the same text again in another section
    hashes the section id in as well; the same id again gets `-2`, `-3`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._first_section_of: dict[str, str] = {}
        self._used: Counter[str] = Counter()

    def make(self, text: str, section_id: str) -> str:
        norm = _id_text(text)
        digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:8].upper()
        first = self._first_section_of.setdefault(norm, section_id)
        if first != section_id:
            digest = hashlib.sha1(f"{section_id}\n{norm}".encode()).hexdigest()[:8].upper()
        return dedupe(f"{self.prefix}-{digest}", self._used)


#: a metadata line ("Released April 17, 2024", "_Last updated, December 2020_"): no rule text
METADATA = re.compile(
    r"^_?\*{0,2}(?:released|effective|last (?:updated|modified|revised|reviewed)|updated|published|"
    r"version|date)\b[^.]{0,60}\d[^.]{0,20}$",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip


def find_date(text: str) -> dt.date | None:
    """'Effective <Month> <day>, <year>' (or an ISO / day-month-year date after 'Effective'), else
    'Last updated, <Month> [<day>,] <year>' (first day of the month when no day is given)."""
    month = r"([A-Za-z]{3,9})\.?"
    tries = [
        (rf"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+{month}\s+(\d{{1,2}}),?\s+(\d{{4}})", "mdy"),
        (r"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+(\d{4})-(\d{1,2})-(\d{1,2})\b", "iso"),
        (rf"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+(\d{{1,2}})\s+{month},?\s+(\d{{4}})", "dmy"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+{month}\s+(\d{{1,2}}),?\s+(\d{{4}})", "mdy"),
        (r"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+(\d{4})-(\d{1,2})-(\d{1,2})\b", "iso"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+(\d{{1,2}})\s+{month},?\s+(\d{{4}})", "dmy"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on| in)?[:,]?\s+{month},?\s+(\d{{4}})", "my"),
    ]
    for pattern, shape in tries:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            try:
                if shape == "mdy":
                    mon = _MONTHS.get(m.group(1).lower())
                    if mon:
                        return dt.date(int(m.group(3)), mon, int(m.group(2)))
                elif shape == "iso":
                    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                elif shape == "dmy":
                    mon = _MONTHS.get(m.group(2).lower())
                    if mon:
                        return dt.date(int(m.group(3)), mon, int(m.group(1)))
                else:
                    mon = _MONTHS.get(m.group(1).lower())
                    if mon:
                        return dt.date(int(m.group(2)), mon, 1)
            except ValueError:
                continue
    return None

"""Language and jurisdiction codes as PolicyGraph accepts them, checked against ISO 639 and ISO 3166
(the `pycountry` tables, offline). Used by the one contract (`policygraph/models.py`), so the HTTP API,
the MCP server and the CLI refuse the same input with the same words."""

from __future__ import annotations

import functools
import re

#: jurisdictions that are not countries: the European Union (its members' rules included)
EXTRA_JURISDICTIONS = {"EU"}
#: BCP-47 "undetermined"
UNDETERMINED = "und"
_TAG = re.compile(r"^([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)$")


@functools.lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


@functools.lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    import pycountry

    out = set()
    for lang in pycountry.languages:
        out.add(lang.alpha_3)
        if hasattr(lang, "alpha_2"):
            out.add(lang.alpha_2)
    return frozenset(out)


def jurisdiction_code(value: str) -> str:
    """`value` as an upper-case ISO 3166-1 alpha-2 code or EU; ValueError naming the value otherwise."""
    code = value.strip().upper()
    if code in EXTRA_JURISDICTIONS or (len(code) == 2 and code in _countries()):
        return code
    raise ValueError(f"unknown jurisdiction {value!r}: use an ISO 3166-1 alpha-2 country code (DE, IN, US, ...) "
                     "or EU")


def language_code(value: str) -> str:
    """The primary language subtag of a BCP-47 tag (`pt-BR` → `pt`), checked against ISO 639-1/-3;
    ValueError naming the value otherwise."""
    m = _TAG.match(value.strip())
    primary = m.group(1).lower() if m else ""
    if primary == UNDETERMINED or primary in _languages():
        return primary
    raise ValueError(f"unknown language {value!r}: use an ISO 639 code (en, de, ar, hi, pt-BR, fil, ...)")


__all__ = ["EXTRA_JURISDICTIONS", "jurisdiction_code", "language_code"]

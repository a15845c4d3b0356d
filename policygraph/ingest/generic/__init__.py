"""Generic parser: a real policy document that carries none of our markup (Markdown, plain text,
HTML) -> a `PolicyDocument` of sections and rules with spans, stable ids, categories and kinds.

Each format is read into one flat list of blocks, and one builder turns blocks into the document:

- `blocks`     the block model (`Block`) and the helpers over blocks, lines and spans;
- `markdown`   Markdown -> blocks;
- `plaintext`  plain text -> blocks;
- `html`       HTML -> blocks;
- `ids`        slugs, section and rule ids, metadata lines and the effective date;
- `classify`   keyword scoring and wording cues: category, kind, actions, severity;
- `build`      blocks -> `PolicyDocument` (the algorithm, step by step, is in its docstring), and
               the entry point `parse_generic`.
"""

from __future__ import annotations

from policygraph.ingest.generic.build import MAX_RULE_CHARS, MIN_RULE_CHARS, parse_generic
from policygraph.ingest.generic.ids import rule_prefix, slugify

__all__ = ["MAX_RULE_CHARS", "MIN_RULE_CHARS", "parse_generic", "rule_prefix", "slugify"]

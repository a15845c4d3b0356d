"""HTML -> blocks, with BeautifulSoup (the stdlib parser).

h1-h6 are headings of their level; every `<p>`, `<li>` (nested items included), `<dt>` and `<dd>` is
a block; scripts, styles and the head are skipped. The page `<title>` is returned as the fallback
document title. An element's span is found by searching its words in the source, one after the
other (else the tag's start).
"""

from __future__ import annotations

from policygraph.ingest.generic.blocks import Block, line_spans, norm_ws, offset_to_line, word_spans

__all__ = ["html_blocks"]


_HTML_SKIP = {"script", "style", "noscript", "template", "head", "title"}
_HTML_BLOCK = {
    "p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article", "dd", "dt",
    "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav", "main", "hr",
}  # fmt: skip


def _html_text(el) -> str:
    from bs4 import Comment, NavigableString, Tag

    out: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                out.append(str(child))
            elif isinstance(child, Tag):
                if child.name in _HTML_SKIP:
                    continue
                if child.name in _HTML_BLOCK:
                    out.append(" ")
                    walk(child)
                    out.append(" ")
                else:
                    walk(child)

    walk(el)
    return norm_ws("".join(out))


def _html_locate(source: str, text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """(start, end) of an element's `text` in the source: its first word searched in source[lo:hi],
    then each next word after the previous one (tags, entities and whitespace in between skipped)."""
    found = [(pos, n) for pos, n in word_spans(source, lo, len(source), text, first_before=hi) if n]
    if not found:
        return None
    return found[0][0], found[-1][0] + found[-1][1]


def html_blocks(text: str) -> tuple[list[Block], str]:
    """The blocks of an HTML document, in document order, and the page title ("" when none)."""
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(text, "html.parser")
    starts, _ends = line_spans(text)
    blocks: list[Block] = []
    title_tag = soup.find("title")
    page_title = norm_ws(title_tag.get_text(" ")) if title_tag else ""

    def offset(el) -> int:
        if el.sourceline is None:
            return 0
        line = min(max(el.sourceline, 1), len(starts))
        return min(starts[line - 1] + (el.sourcepos or 0), len(text))

    def closing(el, start: int) -> int:
        k = text.find(f"</{el.name}", start)
        return k if k >= 0 else len(text)

    def skipped(el) -> bool:
        return any(p.name in _HTML_SKIP for p in el.parents if isinstance(p, Tag))

    for el in soup.find_all(True):
        name = el.name
        if name in _HTML_SKIP or skipped(el):
            continue
        is_heading = len(name) == 2 and name[0] == "h" and name[1] in "123456"
        if not (is_heading or name in ("p", "li", "dt", "dd")):
            continue
        if name != "li" and el.find_parent(["li", "p"]) is not None:
            continue  # part of an enclosing item/paragraph
        if name == "li" and el.find_parent("li") is not None:
            continue  # nested item: part of its parent item
        body = _html_text(el)
        if not body:
            continue
        tag_start = offset(el)
        tag_end = closing(el, tag_start)
        content_start = text.find(">", tag_start) + 1 or tag_start
        found = _html_locate(text, body, content_start, max(tag_end, content_start))
        start, end = found if found else (tag_start, max(tag_end, tag_start + 1))
        line = offset_to_line(starts, start)
        if is_heading:
            blocks.append(Block("heading", body, start, end, line, level=int(name[1]), style="html"))
            continue
        kids = [c for c in el.children if not (isinstance(c, str) and not c.strip())]
        strong_kids = [c for c in kids if isinstance(c, Tag) and c.name in ("strong", "b")]
        bold_only = bool(kids) and len(strong_kids) == len(kids)
        lead = ""
        if kids and isinstance(kids[0], Tag) and kids[0].name in ("strong", "b"):
            head = _html_text(kids[0])
            nxt = kids[1] if len(kids) > 1 else ""
            if (
                head
                and len(head) <= 100
                and (head.endswith(":") or (isinstance(nxt, str) and nxt.lstrip().startswith(":")))
            ):
                lead = head.rstrip(":").strip()
        blocks.append(
            Block(
                "item" if name == "li" else "para",
                body,
                start,
                end,
                line,
                single_line="\n" not in text[start:end],
                bold_only=bold_only,
                has_link=el.find("a") is not None,
                lead=lead,
            )
        )
    return blocks, page_title

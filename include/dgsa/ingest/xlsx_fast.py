"""The plain case of dgsa.ingest.stream_xlsx, read by regular expressions instead of expat.

A block of sheet XML as Excel writes a data sheet (`<row r="5" ...><c r="A5" s="1" t="s"><v>3</v>
</c>...</row>`, and inline strings of one plain run, `<c r="B5" t="inlineStr"><is><t>text</t></is></c>`,
as many writers save them; no entities, formulas, rich text, comments, prefixes or carriage returns)
or of shared strings (`<si><t>text</t></si>`) is read here ~4x faster than with one Python
call per XML event; anything else in the block (checked whole, before anything is read)
sends it to expat, which reads every well-formed part. The values are then made exactly as
expat's path makes them (stream_xlsx.SheetRows._v), so the two paths cannot disagree on a cell.
"""
from __future__ import annotations

import re

_ROW = r'<row r="(\d{1,8})"[^>/]*>'
_CELL = (r'<c r="([A-Z]{1,3})\d{1,8}"(?: s="(\d{1,6})")?(?: t="([a-zA-Z]{1,9})")?'
         r'(/>|></c>|><v>([^<]*)</v></c>|><is><t>([^<]*)</t></is></c>)')
_ITEM = re.compile(_ROW + "|" + _CELL)
_SI = re.compile(r"(?:<si><t>[^<]*</t></si>)*")
_SI_TEXT = re.compile(r"<si><t>([^<]*)</t></si>")


def plain_rows(chunk: bytes) -> list[tuple[str, ...]] | None:
    """A chunk of whole rows (starting at `<row`, ending after `</row>`) as a list of items in
    order: a row opens as (number, "", "", "", "", "", ""), then its cells as ("", letters, s, t,
    end, text, inline) (end starts "><v>" when the cell has a <v>, "><is>" when it holds an
    inline string: its text is `inline`); None when the chunk is not plain.

    Plain is checked by counting, at C speed: every `<row` and `<c ` was read as an item, and
    the chunk has no tag besides theirs (its `<` are exactly those of rows, cells and values:
    an inline string's <is> and <t> are counted; a formula, rich text, a <t> with attributes, a
    comment or a prefixed name adds some), no entity, no CR."""
    if not chunk.startswith(b"<row ") or b"&" in chunk or b"\r" in chunk:
        return None
    text = chunk.decode("utf-8")
    items = _ITEM.findall(text)
    rows = text.count("</row>")
    cells = text.count("<c ")
    if (len(items) != rows + cells or text.count("<row") != rows
            or text.count("<") != 2 * rows + cells + text.count("</c>") + 2 * text.count("<v>")
            + 2 * text.count("<is>") + 2 * text.count("<t>")):
        return None
    return items


def plain_strings(chunk: bytes) -> list[str] | None:
    """A chunk of whole shared strings (`<si><t>text</t></si>` only) as their texts, or None."""
    if not chunk.startswith(b"<si>"):
        return None
    text = chunk.decode("utf-8")
    if any(m in text for m in ("&", "_x00", "\r", "<!", "<?")) or _SI.fullmatch(text) is None:
        return None
    return [t.strip(" \t\n") for t in _SI_TEXT.findall(text)]

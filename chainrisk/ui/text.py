"""Data shown as text: the one escape every name, id and data value passes through
before it reaches Markdown on a page.

Streamlit renders Markdown (and HTML tags, ``:colour[…]`` and ``:material/…:``
directives, ``$…$`` maths, emoji shortcodes) in titles, headers, captions, messages and
``st.markdown``. A supplier named ``![x](http://…/beacon.png)`` must show as those
characters, not fetch the image; ``[Sign in again](http://…)`` must not become a link.
Widget options and table cells are plain text already and need no escape.
"""

from __future__ import annotations

import re

_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:&=\"'@^/")
# GFM turns a bare URL or e-mail address into a link after the escapes are undone, so
# an invisible word joiner goes where its patterns need characters side by side
_JOINER = "\u2060"
_LINKISH = re.compile(r"(?i)(?<=https:)|(?<=http:)|(?<=www)(?=\.)|(?<=@)")


def md(text: object) -> str:
    r"""Return ``text`` for Markdown, every special character escaped, on one line.

    Line breaks become spaces (a name cannot start a heading or a list on its own line),
    and a word joiner (U+2060, invisible) follows ``http:``, ``www`` and ``@``, so that no
    URL or address in a name becomes a link. Tables and downloads keep names as they are.

    >>> md("![x](http://e.org/b.png)")
    '\\!\\[x\\]\\(http\\:\u2060\\/\\/e\\.org\\/b\\.png\\)'
    >>> md("<img src=x>"), md(":red[a]\nb")
    ('\\<img src\\=x\\>', '\\:red\\[a\\] b')
    """
    flat = _LINKISH.sub(_JOINER, " ".join(str(text).splitlines()))
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in flat)


def md_join(sep: str, texts: object) -> str:
    """Return the items of ``texts``, each escaped with :func:`md`, joined by ``sep``."""
    return sep.join(md(t) for t in texts)  # type: ignore[attr-defined]


__all__ = ["md", "md_join"]

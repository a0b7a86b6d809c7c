"""Finding English words of the catalogue (chainrisk.words) in text shown in Chinese.

Used by the Chinese page and export tests. What may stay English in Chinese is what
comes from the data: ids (``component:euv``), the names of firms, components, regions
and chains as the data writes them, file names and paths; everything else that is a
word of the catalogue — a value (``upstream``, ``high``, ``country``, ``warning``,
``yes``) or a piece of a reason, an error message, a remedy or an export note — is a
failure.

>>> finder = EnglishFinder(allowed=["High Purity Co."])
>>> finder.find("上游 · High Purity Co. · component:high-k")
[]
>>> finder.find("集中度：high"), finder.find("'x' names more than one node; pick it from the list.")
(['high'], ['names more than one node', 'pick it from the list'])
>>> finder.find("请使用 --on-error skip")
['--on-error']
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

from chainrisk import words

# Pieces of the catalogue's English longer than this are looked for as they are.
FRAGMENT_CHARS = 12
# Entries whose English is prose: their fixed pieces must not show in Chinese.
PROSE = ("reason.", "message.", "remedy.", "quality.", "group.", "howto.", "method.",
         "summary.", "label.")

_IDS = re.compile(r"\b(?:firm|component|region|site|chain):[^\s,;，；、）)\]]+")
_PATHS = re.compile(r"\S*[/\\]\S*|\b[\w.-]+\.(?:csv|toml|xlsx|zip|db|json)\b", re.I)
_FLAGS = re.compile(r"(?<![\w-])--[a-z][a-z-]+|\bdocs/")


def _pieces(template: str) -> list[str]:
    return [literal for literal, _, _, _ in string.Formatter().parse(template)]


class EnglishFinder:
    """Find catalogue English in a text, data names and ids set aside."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        names = sorted({a.strip() for a in allowed if a and a.strip()}, key=len, reverse=True)
        self._allowed = (re.compile("|".join(re.escape(n) for n in names)) if names else None)
        values = words.english_values() | {"true", "false"}
        alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
        self._values = re.compile(rf"(?<![\w:/-])(?:{alternatives})(?![\w:/-])", re.I)
        fragments: set[str] = set()
        for key, (_, en) in words.WORDS.items():
            if key.startswith(PROSE):
                for piece in _pieces(en):
                    for part in re.split(r"[.;:()'\"]\s*", piece):
                        if len(part.strip()) > FRAGMENT_CHARS:
                            fragments.add(part.strip())
        self._fragments = sorted(fragments, key=len, reverse=True)

    def strip(self, text: str) -> str:
        """Return ``text`` without ids, paths, file names and the data's own names."""
        text = _IDS.sub(" ", text)
        text = _PATHS.sub(" ", text)
        if self._allowed is not None:
            text = self._allowed.sub(" ", text)
        return text

    def find(self, text: str) -> list[str]:
        """Return the catalogue English found in ``text`` (empty: none)."""
        flags = _FLAGS.findall(text)
        rest = self.strip(text)
        found = [m.group(0) for m in self._values.finditer(rest)]
        lowered = rest.lower()
        found += [f for f in self._fragments if f.lower() in lowered]
        return flags + found

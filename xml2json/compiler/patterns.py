"""Translate XML Schema 1.0 ``pattern`` facets into ECMA-262 regular expressions.

The XSD regex language (XSD 1.0 Part 2, Appendix F) differs from ECMA-262 in
ways that matter for validation:

* an XSD pattern always matches the *whole* value, whereas JSON Schema's
  ``pattern`` keyword is unanchored;
* ``^`` and ``$`` are ordinary characters;
* ``\\s``, ``\\d``, ``\\w``, ``.`` and the name escapes ``\\i``/``\\c`` have
  XSD-specific meanings, and ``\\p{..}`` names Unicode categories and
  (XSD 1.0 / Unicode 3.1) blocks;
* character classes support subtraction, ``[a-z-[aeiou]]``.

Output contract
---------------
:func:`translate_pattern` returns one string that is

* a valid ECMA-262 pattern when compiled with the ``u`` flag, and
* a valid Python :mod:`re` pattern with the same meaning (so
  ``re.search(result, value)`` is what a Python JSON Schema validator does).

To achieve this the translator never emits ``\\p{..}``, ``\\d``, ``\\s``,
``\\w`` or ``.``: every character set is expanded into explicit code point
ranges. Category data comes from :mod:`unicodedata` (see
:data:`UNICODE_VERSION`), so translations are reproducible for one Python
minor version. The only escapes used are ``\\uXXXX`` (BMP), ``\\t``, ``\\n``,
``\\r`` and a backslash before ECMA-262 *syntax characters*; identity escapes
such as ``\\-`` outside a class are invalid with the ``u`` flag and are never
produced.

Supplementary-plane code points (U+10000 and above) have no escape that both
Python (``\\U0001xxxx``) and ECMA-262 (``\\u{1xxxx}``) accept, so they are
emitted as *literal characters*. Both Python and ECMA-262 in ``u`` mode treat
them as single code points. ECMA-262 *without* the ``u`` flag sees UTF-16
surrogate pairs instead and rejects a supplementary range inside a class, so
output containing such characters (any ``\\d``, ``\\w``, ``\\i``, ``\\c`` or
most ``\\p{..}``) requires ``u``-mode validators; :func:`needs_unicode_mode`
tells whether a translated pattern is affected. Outputs without supplementary
characters are also valid ECMA-262 without the ``u`` flag (and equivalent for
input without supplementary characters).

The anchored form is ``^(?:...)$(?!\\n)``: the trailing lookahead is a no-op
in ECMA-262 but stops Python's ``$`` from matching before a final newline.

Semantics chosen where XSD leaves room
--------------------------------------
* ``\\i``/``\\c`` follow the XML 1.0 (Fifth Edition) ``NameStartChar`` and
  ``NameChar`` productions, including ``#x10000-#xEFFFF``.
* ``\\d`` is ``\\p{Nd}`` (all Unicode decimal digits, not only ``0-9``);
  ``\\w`` is everything except ``\\p{P}``, ``\\p{Z}`` and ``\\p{C}``;
  ``\\s`` is exactly space, tab, line feed and carriage return.
* Block escapes accept the XSD 1.0 names (Unicode 3.1 blocks, e.g.
  ``IsGreek``, ``IsPrivateUse``); later block names are rejected.
* Anything outside the XSD 1.0 grammar (``\\$``, ``\\b``, ``\\x41``,
  back-references, ``(?...)``, lazy or stacked quantifiers, ``{n,m}`` with
  ``n > m``, unescaped ``-`` inside a class, ...) raises
  :class:`~xml2json.errors.PatternTranslationError`; nothing is dropped or
  loosened.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from xml2json.errors import PatternTranslationError

__all__ = ["UNICODE_VERSION", "needs_unicode_mode", "translate_pattern"]

#: Unicode version of the category tables used for ``\p{..}``, ``\d`` and ``\w``.
UNICODE_VERSION: str = unicodedata.unidata_version

_MAX_CP = sys.maxunicode  # 0x10FFFF
_BMP_MAX = 0xFFFF

# A character set: sorted, disjoint, non-adjacent, inclusive code point ranges.
Ranges = tuple[tuple[int, int], ...]

# --------------------------------------------------------------------------
# Character set algebra
# --------------------------------------------------------------------------


def _normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    start = 0
    for lo, hi in ranges:
        if lo > start:
            result.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_CP:
        result.append((start, _MAX_CP))
    return tuple(result)


def _union(*sets: Ranges) -> Ranges:
    return _normalize(r for s in sets for r in s)


def _difference(left: Ranges, right: Ranges) -> Ranges:
    return _complement(_union(_complement(left), right))


def _chars(text: str) -> Ranges:
    return _normalize((ord(c), ord(c)) for c in text)


# --------------------------------------------------------------------------
# Named sets: XML name characters, Unicode categories and XSD 1.0 blocks
# --------------------------------------------------------------------------

# XML 1.0 (Fifth Edition) productions [4] NameStartChar and [4a] NameChar.
_NAME_START: Ranges = _normalize(
    [
        (ord(":"), ord(":")),
        (ord("A"), ord("Z")),
        (ord("_"), ord("_")),
        (ord("a"), ord("z")),
        (0xC0, 0xD6),
        (0xD8, 0xF6),
        (0xF8, 0x2FF),
        (0x370, 0x37D),
        (0x37F, 0x1FFF),
        (0x200C, 0x200D),
        (0x2070, 0x218F),
        (0x2C00, 0x2FEF),
        (0x3001, 0xD7FF),
        (0xF900, 0xFDCF),
        (0xFDF0, 0xFFFD),
        (0x10000, 0xEFFFF),
    ]
)
_NAME_CHAR: Ranges = _union(
    _NAME_START,
    _chars("-.\u00b7"),
    ((ord("0"), ord("9")), (0x300, 0x36F), (0x203F, 0x2040)),
)

_XSD_SPACE: Ranges = _chars(" \t\n\r")
_XSD_DOT: Ranges = _complement(_chars("\n\r"))

_CATEGORY_GROUPS = "LMNPZSC"
_CATEGORIES = frozenset(
    {
        *("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No"),
        *("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Zl", "Zp"),
        *("Sm", "Sc", "Sk", "So", "Cc", "Cf", "Cs", "Co", "Cn"),
    }
)

# XSD 1.0 block escapes (Part 2, F.1.1): Unicode 3.1 block names with spaces
# removed. PrivateUse covers three ranges.
_BLOCK_TABLE = """
0000 007F BasicLatin
0080 00FF Latin-1Supplement
0100 017F LatinExtended-A
0180 024F LatinExtended-B
0250 02AF IPAExtensions
02B0 02FF SpacingModifierLetters
0300 036F CombiningDiacriticalMarks
0370 03FF Greek
0400 04FF Cyrillic
0530 058F Armenian
0590 05FF Hebrew
0600 06FF Arabic
0700 074F Syriac
0780 07BF Thaana
0900 097F Devanagari
0980 09FF Bengali
0A00 0A7F Gurmukhi
0A80 0AFF Gujarati
0B00 0B7F Oriya
0B80 0BFF Tamil
0C00 0C7F Telugu
0C80 0CFF Kannada
0D00 0D7F Malayalam
0D80 0DFF Sinhala
0E00 0E7F Thai
0E80 0EFF Lao
0F00 0FFF Tibetan
1000 109F Myanmar
10A0 10FF Georgian
1100 11FF HangulJamo
1200 137F Ethiopic
13A0 13FF Cherokee
1400 167F UnifiedCanadianAboriginalSyllabics
1680 169F Ogham
16A0 16FF Runic
1780 17FF Khmer
1800 18AF Mongolian
1E00 1EFF LatinExtendedAdditional
1F00 1FFF GreekExtended
2000 206F GeneralPunctuation
2070 209F SuperscriptsandSubscripts
20A0 20CF CurrencySymbols
20D0 20FF CombiningMarksforSymbols
2100 214F LetterlikeSymbols
2150 218F NumberForms
2190 21FF Arrows
2200 22FF MathematicalOperators
2300 23FF MiscellaneousTechnical
2400 243F ControlPictures
2440 245F OpticalCharacterRecognition
2460 24FF EnclosedAlphanumerics
2500 257F BoxDrawing
2580 259F BlockElements
25A0 25FF GeometricShapes
2600 26FF MiscellaneousSymbols
2700 27BF Dingbats
2800 28FF BraillePatterns
2E80 2EFF CJKRadicalsSupplement
2F00 2FDF KangxiRadicals
2FF0 2FFF IdeographicDescriptionCharacters
3000 303F CJKSymbolsandPunctuation
3040 309F Hiragana
30A0 30FF Katakana
3100 312F Bopomofo
3130 318F HangulCompatibilityJamo
3190 319F Kanbun
31A0 31BF BopomofoExtended
3200 32FF EnclosedCJKLettersandMonths
3300 33FF CJKCompatibility
3400 4DB5 CJKUnifiedIdeographsExtensionA
4E00 9FFF CJKUnifiedIdeographs
A000 A48F YiSyllables
A490 A4CF YiRadicals
AC00 D7A3 HangulSyllables
D800 DB7F HighSurrogates
DB80 DBFF HighPrivateUseSurrogates
DC00 DFFF LowSurrogates
E000 F8FF PrivateUse
F900 FAFF CJKCompatibilityIdeographs
FB00 FB4F AlphabeticPresentationForms
FB50 FDFF ArabicPresentationForms-A
FE20 FE2F CombiningHalfMarks
FE30 FE4F CJKCompatibilityForms
FE50 FE6F SmallFormVariants
FE70 FEFE ArabicPresentationForms-B
FEFF FEFF Specials
FF00 FFEF HalfwidthandFullwidthForms
FFF0 FFFD Specials
10300 1032F OldItalic
10330 1034F Gothic
10400 1044F Deseret
1D000 1D0FF ByzantineMusicalSymbols
1D100 1D1FF MusicalSymbols
1D400 1D7FF MathematicalAlphanumericSymbols
20000 2A6D6 CJKUnifiedIdeographsExtensionB
2F800 2FA1F CJKCompatibilityIdeographsSupplement
E0000 E007F Tags
F0000 FFFFD PrivateUse
100000 10FFFD PrivateUse
"""


def _parse_block_table(table: str) -> dict[str, Ranges]:
    collected: dict[str, list[tuple[int, int]]] = {}
    for line in table.strip().splitlines():
        lo, hi, name = line.split()
        collected.setdefault(name, []).append((int(lo, 16), int(hi, 16)))
    return {name: _normalize(spans) for name, spans in collected.items()}


_BLOCKS: dict[str, Ranges] = _parse_block_table(_BLOCK_TABLE)


@lru_cache(maxsize=1)
def _category_table() -> dict[str, Ranges]:
    """Ranges for every general category and category group, from unicodedata."""
    spans: dict[str, list[tuple[int, int]]] = {}
    run_cat = unicodedata.category("\0")
    run_start = 0
    for cp in range(1, _MAX_CP + 2):
        cat = unicodedata.category(chr(cp)) if cp <= _MAX_CP else ""
        if cat != run_cat:
            spans.setdefault(run_cat, []).append((run_start, cp - 1))
            run_cat, run_start = cat, cp
    table = {name: _normalize(spans.get(name, ())) for name in _CATEGORIES}
    for group in _CATEGORY_GROUPS:
        table[group] = _union(*(s for n, s in table.items() if n[0] == group and len(n) == 2))
    return table


def _category(name: str) -> Ranges:
    return _category_table()[name]


@lru_cache(maxsize=1)
def _xsd_word() -> Ranges:
    # XSD \w: everything except punctuation, separators and "other".
    return _complement(_union(_category("P"), _category("Z"), _category("C")))


# --------------------------------------------------------------------------
# Rendering to ECMA-262 / Python syntax
# --------------------------------------------------------------------------

# Escaped with a backslash: ECMA-262 SyntaxCharacters (plus "/", so that the
# output also survives being embedded in a /.../u literal); inside a class only
# the characters that are special there.
_SYNTAX_CHARS = frozenset("^$\\.*+?()[]{}|/")
_CLASS_SPECIALS = frozenset("\\]^-[/")
_CONTROL_ESCAPES = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_NEVER = "(?:(?!))"  # matches nothing; `[]` is not valid in Python
_ANY = "[\\s\\S]"  # matches every code point in both dialects


def _render_cp(cp: int, *, in_class: bool) -> str:
    if cp in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[cp]
    if 0x20 <= cp <= 0x7E:
        char = chr(cp)
        specials = _CLASS_SPECIALS if in_class else _SYNTAX_CHARS
        return "\\" + char if char in specials else char
    if cp <= _BMP_MAX:
        return f"\\u{cp:04X}"
    return chr(cp)  # literal supplementary character, see module docstring


def _is_trail_surrogate(cp: int) -> bool:
    return 0xDC00 <= cp <= 0xDFFF


def _render_items(ranges: Ranges) -> str:
    # With the ``u`` flag ECMA-262 fuses the escapes ``\uD8xx\uDCxx`` into one
    # supplementary code point. Items starting with a trail surrogate therefore
    # go first, where no lead surrogate escape can precede them; ranges always
    # use "-" so their two ends are never adjacent.
    ordered = sorted(ranges, key=lambda r: not _is_trail_surrogate(r[0]))
    parts: list[str] = []
    for lo, hi in ordered:
        parts.append(_render_cp(lo, in_class=True))
        if hi > lo:
            parts.append("-" + _render_cp(hi, in_class=True))
    return "".join(parts)


def _render_set(ranges: Ranges) -> str:
    if not ranges:
        return _NEVER
    if ranges == ((0, _MAX_CP),):
        return _ANY
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _render_literal(ranges[0][0])
    positive = f"[{_render_items(ranges)}]"
    negative = f"[^{_render_items(_complement(ranges))}]"
    # Prefer the form without supplementary characters, then the shorter one.
    return min(positive, negative, key=lambda s: (needs_unicode_mode(s), len(s)))


def _render_literal(cp: int) -> str:
    text = _render_cp(cp, in_class=False)
    # Group supplementary characters, so that a following quantifier applies to
    # the whole character even when read as a surrogate pair, and surrogate
    # escapes, so that two of them are never fused into one code point.
    return f"(?:{text})" if cp >= 0xD800 and (cp > _BMP_MAX or cp <= 0xDFFF) else text


def needs_unicode_mode(ecma_pattern: str) -> bool:
    """True if a translated pattern contains supplementary-plane characters.

    Such patterns are only valid ECMA-262 with the ``u`` flag (they are always
    valid Python :mod:`re` patterns).
    """
    return any(ord(c) > _BMP_MAX for c in ecma_pattern)


# --------------------------------------------------------------------------
# Parser: recursive descent over the XSD 1.0 regex grammar
# --------------------------------------------------------------------------

_SINGLE_ESCAPES = {"n": 0x0A, "r": 0x0D, "t": 0x09} | {c: ord(c) for c in "\\|.-^?*+{}()[]"}
_MULTI_ESCAPES: dict[str, Callable[[], Ranges]] = {
    "s": lambda: _XSD_SPACE,
    "i": lambda: _NAME_START,
    "c": lambda: _NAME_CHAR,
    "d": lambda: _category("Nd"),
    "w": lambda: _xsd_word(),
}
_QUANTIFIER_RE = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_QUANTIFIER_START = "?*+{"


class _Translator:
    """Translates one XSD regex; each method consumes one grammar production."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    # -- helpers ---------------------------------------------------------
    def _error(self, message: str) -> PatternTranslationError:
        return PatternTranslationError(f"{message} at offset {self.pos}", pattern=self.source)

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.source[index] if index < len(self.source) else ""

    def _take(self) -> str:
        char = self._peek()
        if not char:
            raise self._error("unexpected end of pattern")
        self.pos += 1
        return char

    # -- regExp ::= branch ( '|' branch )* --------------------------------
    def translate(self) -> str:
        body = self._reg_exp()
        if self.pos < len(self.source):
            raise self._error(f"unbalanced {self._peek()!r}")
        return f"^(?:{body})$(?!\\n)"

    def _reg_exp(self) -> str:
        branches = [self._branch()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._branch())
        return "|".join(branches)

    def _branch(self) -> str:
        pieces: list[str] = []
        while self._peek() not in ("", "|", ")"):
            pieces.append(self._atom() + self._quantifier())
        return "".join(pieces)

    def _quantifier(self) -> str:
        char = self._peek()
        if char in ("?", "*", "+"):
            self.pos += 1
            text = char
        elif char == "{":
            match = _QUANTIFIER_RE.match(self.source, self.pos)
            if match is None:
                raise self._error("malformed quantifier")
            low, comma, high = match.group(1), match.group(2), match.group(3)
            if comma and not high:
                text = f"{{{int(low)},}}"
            elif comma:
                if int(low) > int(high):
                    raise self._error("quantifier minimum exceeds maximum")
                text = f"{{{int(low)},{int(high)}}}"
            else:
                text = f"{{{int(low)}}}"
            self.pos = match.end()
        else:
            return ""
        if self._peek() and self._peek() in _QUANTIFIER_START:
            raise self._error("quantifier may not follow a quantifier")
        return text

    def _atom(self) -> str:
        char = self._peek()
        if char == "(":
            self.pos += 1
            inner = self._reg_exp()
            if self._peek() != ")":
                raise self._error("unterminated group")
            self.pos += 1
            return f"({inner})"
        if char == "[":
            return _render_set(self._class_expr())
        if char == ".":
            self.pos += 1
            return _render_set(_XSD_DOT)
        if char == "\\":
            item = self._escape()
            return _render_literal(item) if isinstance(item, int) else _render_set(item)
        if char in _QUANTIFIER_START:
            raise self._error(f"quantifier {char!r} without a preceding atom")
        if char in ("]", "}"):
            raise self._error(f"unescaped {char!r}")
        self.pos += 1
        return _render_literal(ord(char))

    # -- escapes ----------------------------------------------------------
    def _escape(self) -> int | Ranges:
        """Parse ``\\x``; a single character as an int, a multi-char escape as Ranges."""
        self.pos += 1  # the backslash
        if not self._peek():
            raise self._error("dangling backslash")
        letter = self._take()
        if letter in _SINGLE_ESCAPES:
            return _SINGLE_ESCAPES[letter]
        if letter in ("p", "P"):
            ranges = self._property()
            return ranges if letter == "p" else _complement(ranges)
        factory = _MULTI_ESCAPES.get(letter.lower())
        if factory is None:
            raise self._error(f"unknown escape '\\{letter}'")
        return factory() if letter.islower() else _complement(factory())

    def _property(self) -> Ranges:
        if self._peek() != "{":
            raise self._error("expected '{' after \\p")
        end = self.source.find("}", self.pos)
        if end < 0:
            raise self._error("unterminated \\p{...}")
        name = self.source[self.pos + 1 : end]
        self.pos = end + 1
        if name.startswith("Is"):
            if name[2:] in _BLOCKS:
                return _BLOCKS[name[2:]]
            raise self._error(f"unknown Unicode block {name!r}")
        if name in _CATEGORIES or (len(name) == 1 and name in _CATEGORY_GROUPS):
            return _category(name)
        raise self._error(f"unknown Unicode category {name!r}")

    # -- character classes ------------------------------------------------
    def _class_expr(self) -> Ranges:
        """charClassExpr ::= '[' ( '^' )? posCharGroup ( '-' charClassExpr )? ']'"""
        self.pos += 1  # the '['
        negated = self._peek() == "^"
        if negated:
            self.pos += 1
        members: list[Ranges] = []
        subtracted: Ranges = ()
        while True:
            char = self._peek()
            if not char:
                raise self._error("unterminated character class")
            if char == "]":
                if not members:
                    raise self._error("empty character class")
                break
            if char == "-" and self._peek(1) == "[":
                if not members:
                    raise self._error("subtraction without a character group")
                self.pos += 1
                subtracted = self._class_expr()
                if self._peek() != "]":
                    raise self._error("a subtraction must end its character class")
                break
            if char == "-":
                # A bare hyphen is a literal only at the start or end of a group.
                if members and self._peek(1) != "]":
                    raise self._error("unescaped '-' inside a character class")
                self.pos += 1
                members.append(_chars("-"))
                continue
            members.append(self._class_range())
        self.pos += 1  # the ']'
        group = _union(*members)
        if negated:
            group = _complement(group)
        return _difference(group, subtracted) if subtracted else group

    def _class_range(self) -> Ranges:
        low = self._class_atom()
        if not (isinstance(low, int) and self._peek() == "-" and self._peek(1) not in ("]", "[")):
            return ((low, low),) if isinstance(low, int) else low
        self.pos += 1  # the '-'
        high = self._class_atom()
        if not isinstance(high, int):
            raise self._error("a multi-character escape cannot end a range")
        if high < low:
            raise self._error("character range is out of order")
        return ((low, high),)

    def _class_atom(self) -> int | Ranges:
        char = self._peek()
        if char == "\\":
            return self._escape()
        if char in ("[", "-"):
            raise self._error(f"unescaped {char!r} inside a character class")
        return ord(self._take())


@lru_cache(maxsize=1024)
def translate_pattern(xsd_pattern: str) -> str:
    """Translate an XSD 1.0 ``pattern`` facet into an anchored ECMA-262 pattern.

    Raises :class:`~xml2json.errors.PatternTranslationError` for anything that
    is not a valid XSD 1.0 regular expression.
    """
    result = _Translator(xsd_pattern).translate()
    try:  # defensive: also rejects e.g. repeat counts beyond Python's limit
        re.compile(result)
    except (re.error, OverflowError) as exc:
        raise PatternTranslationError(
            f"translation is not a valid regular expression ({exc})", pattern=xsd_pattern
        ) from exc
    return result

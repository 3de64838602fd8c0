"""The profile schema's messages in words: what a value is expected to be, said as a user of
the profile would say it (``'usa' is not two capital letters (a WIPO ST.3 or ISO 3166 code, such
as US)``), instead of jsonschema's regular expressions and "not valid under any of the given
schemas". :func:`xml2json.profiles.trademark.validate` returns its issues through
:func:`in_words`, so Python callers and the command line read the same messages."""

from __future__ import annotations

import ast
import re
from dataclasses import replace

from ...errors import Issue

#: The profile schema's patterns, said in words (the schema's regexes end in ``$(?!\n)``).
PATTERN_WORDS = {
    "^[A-Z]{2}$": "two capital letters (a WIPO ST.3 or ISO 3166 code, such as US)",
    "^[a-z]{2}$": "two lower-case letters (an ISO 639-1 language code, such as en)",
    "^[0-9A-Za-z]+(\\.[0-9A-Za-z]+){0,2}$": "a Vienna code: category[.division[.section]], such as 26.01.03",
    "^(/([^~/]|~[01])*)+$": "a JSON Pointer, such as /markRepresentation/markDescriptionBag",
}
DATE_WORDS = "a date: 2021-03-04, 2021-03 or 2021, optionally with a time zone (2021-03-04-05:00, 2021-03-04Z)"
_NO_MATCH = re.compile(r"^(.*) does not match ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")$", re.S)
_NATIONALITY_WORDS = "Stateless or Unidentified"
_DEPENDENCY = re.compile(r"^'(.+)' is a dependency of '(.+)'$", re.S)
_NOT_ANY = re.compile(r"^(.*) is not valid under any of the given schemas$", re.S)


def _pattern_words(pattern: str) -> str:
    bare = pattern.removesuffix("(?!\\n)")
    return PATTERN_WORDS.get(bare) or f"text matching the pattern {bare}"


def in_words(issue: Issue) -> Issue:
    """A profile-schema issue with what is expected said in words instead of a raw regex."""
    msg, ptr = issue.message, issue.json_pointer or ""
    last = ptr.rsplit("/", 1)[-1]
    m = _NO_MATCH.match(msg)
    if m:
        try:
            pattern = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):
            return issue
        msg = f"{m.group(1)} is not {_pattern_words(pattern)}"
    elif (m := _NOT_ANY.match(msg)) is not None:
        if last == "date" or last.endswith("Date"):
            msg = f"{m.group(1)} is not {DATE_WORDS}"
        elif last == "nationality":
            msg = f"{m.group(1)} is neither a country code (two capital letters, such as US) nor {_NATIONALITY_WORDS}"
        elif ptr == "":
            msg = "the document needs an applicationNumber or a registrationNumber (unless it has 'unmapped')"
        else:
            return issue
    elif (m := _DEPENDENCY.match(msg)) is not None:
        msg = f"'{m.group(2)}' needs '{m.group(1)}' as well"
    else:
        return issue
    return replace(issue, message=msg)

"""Simplified JSON profiles of ST.97 records, driven by declarative mapping tables.

* :mod:`.engine` — the generic machinery (fields, choices, groups, items,
  defaults; exact simplify/expand; loss accounting);
* :mod:`.trademark` — ``trademark-application-simple/1.0`` and its table;
* :mod:`.report` — coverage of a profile over a corpus (``xml2json profile report``);
* :mod:`.docgen` — the generated parts of docs/profile.md.
"""

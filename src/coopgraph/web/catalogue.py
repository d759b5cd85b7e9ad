"""The message catalogue: the interface's words in every language, read once from ``messages/*.toml``.

The words live in files rather than code so that a translator edits one TOML file per
language, and a test can hold the files to each other (same keys, the plural forms each
language needs) and to the code (no key used that the files lack). A message is a string,
or, when it carries a count, a table of plural forms keyed by CLDR category ("one",
"other"...), chosen with the language's CLDR plural rule (Babel). Two more tables name
terms: ``standard_names`` for widely used properties outside our ontology, and
``graph_names`` for our own terms the graph labels in another language only.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from babel import Locale

from ..errors import ConfigError

#: The interface languages, the first the default.
LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: The plural categories CLDR knows; a plural table may use no other key.
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
TABLES = ("messages", "standard_names", "graph_names")

Message = str | dict[str, str]


@dataclass
class Catalogue:
    """Every language's messages and term names, with the plural rule of each language."""

    messages: dict[str, dict[str, Message]]
    standard_names: dict[str, dict[str, str]]
    graph_names: dict[str, dict[str, str]]
    plural_rules: dict[str, Callable[[float], str]]
    #: Keys asked for that the catalogue lacks (in any language): a test reads this after a crawl.
    missing: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, languages: tuple[str, ...] = LANGUAGES) -> Catalogue:
        """Read ``messages/<lang>.toml`` for each language from the package, checking its shape."""
        folder = resources.files(__package__).joinpath("messages")
        tables: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
        for lang in languages:
            name = f"messages/{lang}.toml"
            try:
                data = tomllib.loads(folder.joinpath(f"{lang}.toml").read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise ConfigError(f"the message catalogue has no {name}") from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{name} is not valid TOML: {exc}") from exc
            for table in TABLES:
                values = data.get(table, {})
                if not isinstance(values, dict):
                    raise ConfigError(f"{name}: [{table}] must be a table")
                tables[table][lang] = values
            for key, message in tables["messages"][lang].items():
                _check_message(name, key, message)
        rules = {lang: Locale.parse(lang).plural_form for lang in languages}
        return cls(tables["messages"], tables["standard_names"], tables["graph_names"], rules)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.messages)

    def text(self, lang: str, key: str, **values) -> str:
        """The message ``key`` in ``lang`` (English when untranslated), filled in with ``values``.

        A plural message picks its form by ``count`` under the language's CLDR rule.
        """
        message = self.messages.get(lang, {}).get(key)
        if message is None:
            self._note_missing(lang, key)
            message = self.messages[DEFAULT_LANGUAGE].get(key)
            if message is None:
                return key
            lang = DEFAULT_LANGUAGE
        if isinstance(message, dict):
            if "count" not in values:
                raise TypeError(f"message {key!r} has plural forms and needs a count")
            category = self.plural_rules[lang](values["count"])
            message = message.get(category) or message["other"]
        return message.format(**values) if values else message

    def names_by_iri(self, table: str, prefixes: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """A table of term names (``standard_names``, ``graph_names``) keyed by full IRI: iri -> {language: name}."""
        out: dict[str, dict[str, str]] = {}
        for lang, names in getattr(self, table).items():
            for compact, name in names.items():
                prefix, _, local = compact.partition(":")
                if prefix not in prefixes:
                    raise ConfigError(
                        f"messages/{lang}.toml: [{table}] {compact!r} has an unknown prefix",
                        hint=f"Use one of: {', '.join(sorted(prefixes))}.",
                    )
                out.setdefault(prefixes[prefix] + local, {})[lang] = name
        return out

    def _note_missing(self, lang: str, key: str) -> None:
        with self._lock:
            self.missing.add((lang, key))


def _check_message(source: str, key: str, message) -> None:
    """Refuse a message that is neither text nor a table of plural forms with an "other" form."""
    if isinstance(message, str):
        return
    if (
        isinstance(message, dict)
        and message
        and "other" in message
        and set(message) <= PLURAL_CATEGORIES
        and all(isinstance(v, str) for v in message.values())
    ):
        return
    raise ConfigError(
        f"{source}: message {key!r} must be text or a table of plural forms "
        f'({", ".join(sorted(PLURAL_CATEGORIES))}) that includes "other"'
    )

"""Find resources by name, in English or Japanese, with facets by type, programme and theme.

People type "koriyama" for Kōriyama, "Umea" for Umeå, 郡山 for 郡山市, or a romaji long
vowel spelt out ("Kouriyama", "Ooita"). Every label and query is therefore folded the
same way (compatibility forms, accents, case, hiragana/katakana, punctuation) before a
substring match; a second, looser fold also merges long vowels. The graph holds no kana
readings of names (郡山市 is "Koriyama" and 郡山市, never こおりやま), so a query written in
kana alone is also read as romaji (こおりやま -> kooriyama -> koriyama) and matched against
the romaji names, which finds the place whose reading was typed. The index holds only
labels and facet links, read from the store in a few queries and rebuilt when the
store's version changes, so a new contribution is searchable at once. It is kept in a
SQLite file that every web worker reads (:func:`write_index`, :class:`SearchIndex`), so
that a search is a scan of the folded names in SQLite rather than a SPARQL query, and
no worker holds a copy of the index.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import shutil
import sqlite3
import tempfile
import time
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import jaconv
import pyoxigraph as ox

from .describe.resource import (
    ALT_LABEL_PREDICATES,
    LABEL_PREDICATES,
    SUPPLIED_NAMES,
    LabelMap,
    fetch_labels,
    pick_label,
    values_block,
)
from .errors import QueryTimeout, UsageError
from .namespaces import OWL, RDFS
from .participation import (
    PLACES,
    PROGRAMME_CLASSES,
    SUCCESSION,
    THEME_CLASSES,
    instances_of,
    resource_links,
    taking_part,
)

#: Types too general to be a useful facet.
IGNORED_TYPES = (OWL + "Thing", RDFS + "Resource", OWL + "NamedIndividual")
MAX_LIMIT = 500

_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
_COMBINING_ACCENTS = re.compile("[\u0300-\u036f]+")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_PUNCT = re.compile(r"[\s\-‐‑‒–—―_/\\.,;:'’‘\"“”()\[\]{}・、。「」『』（）]+")
_LONG_VOWELS = re.compile(r"(?<=[aeiou])h(?![aeiou])|([aeiou])\1|ou")
#: A folded query in kana only (fold turns hiragana into katakana; ー is the long-vowel mark).
_KANA_ONLY = re.compile(r"[\u30a1-\u30fa\u30fc ]+")
#: A match through the romaji reading of a kana query ranks a little below a match as typed.
READING_FACTOR = 0.9


def fold(text: str) -> str:
    """Fold text for matching: compatibility forms, no Latin accents, lower case, katakana, plain spaces."""
    if text.isascii():  # most labels: of the steps below, only case and punctuation change ASCII
        return _PUNCT.sub(" ", text.lower()).strip()
    return _fold_any(text)


def _fold_any(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = _COMBINING_ACCENTS.sub("", text)
    text = unicodedata.normalize("NFC", text).casefold()
    text = text.translate(_HIRAGANA_TO_KATAKANA)  # so either script finds the other
    return _PUNCT.sub(" ", text).strip()


def fold_long_vowels(folded: str) -> str:
    """Merge romaji long-vowel spellings (ou, oo, oh, uu...) so Kouriyama finds Kōriyama."""
    return _LONG_VOWELS.sub(lambda m: m.group(1) or ("o" if m.group(0) == "ou" else ""), folded)


def kana_reading(folded: str) -> str | None:
    """The romaji reading of a folded query written in kana only (コオリヤマ -> kooriyama), else None."""
    if not _KANA_ONLY.fullmatch(folded):
        return None
    romaji = jaconv.kana2alphabet(jaconv.kata2hira(folded)).replace("-", "")
    return fold(romaji) if romaji.isascii() else None


@lru_cache(maxsize=4096)
def match_keys(text: str) -> tuple[str, str]:
    """(folded, long-vowel folded) forms of a name supplied from outside the graph, kept once folded."""
    folded = fold(text)
    return folded, fold_long_vowels(folded)


@dataclass
class Entry:
    iri: str
    labels: list[ox.Literal]
    alt_labels: list[ox.Literal]
    types: set[str] = field(default_factory=set)
    programmes: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    keys: list[tuple[str, str]] = field(default_factory=list)  # (folded, long-vowel folded)

    def label(self, lang: str) -> tuple[str | None, str | None]:
        return pick_label(self.labels or self.alt_labels, lang, self.iri)


@dataclass
class Hit:
    entry: Entry
    score: float


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    offset: int
    limit: int


def _score(needle: str, needle_long: str, keys: list[tuple[str, str]]) -> float:
    best = 0.0
    for key, key_long in keys:
        for hay, pin, factor in ((key, needle, 1.0), (key_long, needle_long, 0.9)):
            if not pin:
                continue
            if hay == pin:
                score = 100
            elif hay.startswith(pin):
                score = 80
            elif f" {pin}" in f" {hay}":
                score = 60
            elif pin in hay:
                score = 40
            else:
                continue
            best = max(best, score * factor)
    return best


def derive_entries(store) -> tuple[dict[str, Entry], LabelMap]:
    """Every resource minted under our id base: its labels, types and what it takes part in,
    with the labels of those types, programmes and themes (the facets' names)."""
    id_base = store.iris.id_base
    prefix = str(ox.Literal(id_base))
    entries: dict[str, Entry] = {}
    label_preds = set(LABEL_PREDICATES)
    rows = store.select(
        f"SELECT ?s ?p ?l WHERE {{ {values_block('p', LABEL_PREDICATES + ALT_LABEL_PREDICATES)} ?s ?p ?l "
        f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {prefix}) && isLiteral(?l)) }}"
    )
    rank = {p: n for n, p in enumerate(LABEL_PREDICATES + ALT_LABEL_PREDICATES)}
    rows.sort(key=lambda r: rank.get(r["p"].value, 99))
    for row in rows:
        entry = entries.setdefault(row["s"].value, Entry(row["s"].value, [], []))
        (entry.labels if row["p"].value in label_preds else entry.alt_labels).append(row["l"])
    classes = {
        r["c"].value
        for r in store.select(
            "SELECT DISTINCT ?c WHERE { { ?c a <http://www.w3.org/2002/07/owl#Class> } "
            "UNION { ?c a <http://www.w3.org/2000/01/rdf-schema#Class> } FILTER(isIRI(?c)) }"
        )
    }
    for row in store.select(
        f"SELECT ?s ?c WHERE {{ ?s a ?c FILTER(isIRI(?s) && isIRI(?c) && STRSTARTS(STR(?s), {prefix})) }}"
    ):
        entry = entries.get(row["s"].value)
        cls_iri = row["c"].value
        if entry is not None and cls_iri not in IGNORED_TYPES and (cls_iri in classes or not classes):
            entry.types.add(cls_iri)
    links = resource_links(store, leave_out=SUCCESSION)
    programmes, themes = instances_of(store, PROGRAMME_CLASSES), instances_of(store, THEME_CLASSES)
    not_shared = programmes | themes | instances_of(store, PLACES)
    for attribute, targets in (("programmes", programmes), ("themes", themes)):
        for resource, target in taking_part(links, targets, not_shared):
            entry = entries.get(resource)
            if entry is not None:
                getattr(entry, attribute).add(target)
    for entry in entries.values():
        texts = [lit.value for lit in entry.labels + entry.alt_labels]
        texts.append(entry.iri[len(id_base) :].replace("/", " "))
        entry.keys = [(f, fold_long_vowels(f)) for f in {fold(t) for t in texts} if f]
    wanted = {t for e in entries.values() for t in e.types | e.programmes | e.themes}
    return entries, fetch_labels(store, wanted)


#: The languages whose order of results the index keeps (the web interface's); a search
#: in another language lists results in the English order.
SORT_LANGUAGES = ("en", "ja")
#: The layout of the index file; a file of another layout is written again.
INDEX_FORMAT = 1
#: How much of the index file a connection maps into memory rather than copies (all of it, at 1M triples).
MMAP_BYTES = 1 << 30
#: How many SQLite steps a search runs between two looks at the clock (about a millisecond).
PROGRESS_STEPS = 20_000
#: Where an entry's facet values are kept (facet name, Entry attribute).
FACET_ATTRIBUTES = (("type", "types"), ("programme", "programmes"), ("theme", "themes"))
_SCHEMA = f"""
CREATE TABLE meta(format INTEGER NOT NULL, facet_labels TEXT NOT NULL);
CREATE TABLE entries(id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, labels TEXT NOT NULL,
                     alt_labels TEXT NOT NULL, {", ".join(f"sort_{lang} TEXT NOT NULL" for lang in SORT_LANGUAGES)});
CREATE TABLE keys(entry INTEGER NOT NULL, folded TEXT NOT NULL, long TEXT NOT NULL);
CREATE TABLE facet_values(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(kind, value));
CREATE TABLE facets(value INTEGER NOT NULL, entry INTEGER NOT NULL, PRIMARY KEY(value, entry)) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX keys_by_entry ON keys(entry);
CREATE INDEX facets_by_entry ON facets(entry, value);
ANALYZE;
"""


def write_index(store, path: Path) -> None:
    """Derive the index of ``store`` into a new SQLite file at ``path``.

    Kept in a file, not in Python objects: at 1M triples the index held 300 MiB in every
    web worker that had served a search. From a file, each worker reads the pages a search
    needs and the operating system keeps one copy of them for all workers.
    """
    token = SUPPLIED_NAMES.set(MappingProxyType({}))  # the order kept is the graph's own
    try:
        entries, labels = derive_entries(store)
        db = sqlite3.connect(path)
        try:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
            facet_labels = {iri: _literal_rows(literals) for iri, literals in labels.literals.items()}
            db.execute("INSERT INTO meta VALUES (?, ?)", (INDEX_FORMAT, json.dumps(facet_labels)))
            db.executemany(
                f"INSERT INTO entries VALUES (?, ?, ?, ?{', ?' * len(SORT_LANGUAGES)})",
                (
                    (
                        number,
                        entry.iri,
                        _literals_json(entry.labels),
                        _literals_json(entry.alt_labels),
                        *(_sort_key(entry, lang) for lang in SORT_LANGUAGES),
                    )
                    for number, entry in enumerate(entries.values(), 1)
                ),
            )
            numbers = {iri: number for number, iri in enumerate(entries, 1)}
            db.executemany(
                "INSERT INTO keys VALUES (?, ?, ?)",
                ((numbers[e.iri], folded, long) for e in entries.values() for folded, long in e.keys),
            )
            values: dict[tuple[str, str], int] = {}
            db.executemany(
                "INSERT INTO facets VALUES (?, ?)",
                (
                    (values.setdefault((kind, value), len(values) + 1), numbers[e.iri])
                    for e in entries.values()
                    for kind, attribute in FACET_ATTRIBUTES
                    for value in getattr(e, attribute)
                ),
            )
            db.executemany("INSERT INTO facet_values VALUES (?, ?, ?)", ((n, *kv) for kv, n in values.items()))
            db.executescript(_INDEXES)
            db.commit()
        finally:
            db.close()
    finally:
        SUPPLIED_NAMES.reset(token)


def _literal_rows(literals: list[ox.Literal]) -> list[list[str | None]]:
    return [[lit.value, lit.language, None if lit.language else lit.datatype.value] for lit in literals]


def _literals_json(literals: list[ox.Literal]) -> str:
    return json.dumps(_literal_rows(literals))


def _literals(rows: list[list[str | None]]) -> list[ox.Literal]:
    return [
        ox.Literal(value, language=lang) if lang else ox.Literal(value, datatype=ox.NamedNode(datatype))
        for value, lang, datatype in rows
    ]


def _sort_key(entry: Entry, lang: str) -> str:
    """What results of equal score are ordered by: the folded label shown, else the IRI."""
    return fold(entry.label(lang)[0] or entry.iri)


def _score_sql(column: str, needle: str, factor: float) -> str:
    """The score of one key column against a named parameter, as :func:`_score` gives it."""
    exact, start, word, inside = (repr(score * factor) for score in (100, 80, 60, 40))
    return (
        f"CASE WHEN {column} = :{needle} THEN {exact} "
        f"WHEN substr({column}, 1, length(:{needle})) = :{needle} THEN {start} "
        f"WHEN instr(' ' || {column}, ' ' || :{needle}) > 0 THEN {word} "
        f"WHEN instr({column}, :{needle}) > 0 THEN {inside} ELSE 0.0 END"
    )


_TYPED = f"max({_score_sql('k.folded', 'n', 1.0)}, {_score_sql('k.long', 'nl', 0.9)})"
_READING = f"max({_score_sql('k.folded', 'r', READING_FACTOR)}, {_score_sql('k.long', 'rl', READING_FACTOR * 0.9)})"


class SearchIndex:
    """Labels and facet links of every resource minted under our id base, in a SQLite file.

    The file is written once per store version (:func:`write_index`) and only read here,
    by any number of threads and processes: each thread takes a read-only connection from
    a small pool. A search scores every key in SQLite, keeps the matches in a temporary
    table of its connection, then reads one page of them and the facet counts.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        first = self._open()  # fails here, not in a search, when the file is not an index
        try:
            fmt, labels = first.execute("SELECT format, facet_labels FROM meta").fetchone()
            if fmt != INDEX_FORMAT:
                raise ValueError(f"search index {self.path} has layout {fmt}, not {INDEX_FORMAT}")
            self.labels = LabelMap({iri: _literals(rows) for iri, rows in json.loads(labels).items()})
        except Exception:
            first.close()
            raise
        self._pool.put(first)
        self.entries = _Entries(self)

    @classmethod
    def build(cls, store) -> SearchIndex:
        """An index of ``store`` in a scratch file of its own, removed with the index (scripts, tests)."""
        folder = tempfile.mkdtemp(prefix="coopgraph-search-")
        try:
            write_index(store, Path(folder) / "search.sqlite")
            index = cls(Path(folder) / "search.sqlite")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        weakref.finalize(index, shutil.rmtree, folder, True)
        return index

    def _open(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # pages read through a shared mapping: the operating system keeps one copy for all workers
        db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        db.execute("PRAGMA temp_store = MEMORY")
        return db

    @contextlib.contextmanager
    def _connection(self):
        """A connection of the pool for one thread at a time (a new one when all are taken)."""
        try:
            db = self._pool.get_nowait()
        except queue.Empty:
            try:
                db = self._open()
            except sqlite3.Error:  # the file went with an old version: wait for a connection open on it
                db = self._pool.get()
        try:
            yield db
        finally:
            self._pool.put(db)

    def search(
        self,
        query: str = "",
        *,
        types: Iterable[str] = (),
        programmes: Iterable[str] = (),
        themes: Iterable[str] = (),
        lang: str = "en",
        limit: int = 50,
        offset: int = 0,
        time_limit: float | None = None,
    ) -> SearchResult:
        """Match labels, filter by facets (all must hold), and count facet values over the matches.

        Past ``time_limit`` seconds the search stops with :class:`QueryTimeout`, as a query does.
        """
        if limit < 1 or limit > MAX_LIMIT or offset < 0:
            raise UsageError(
                f"limit must be between 1 and {MAX_LIMIT} and offset not negative",
                hint="Page through results with limit and offset.",
            )
        if len(query) > 200:
            raise UsageError("the search text is longer than 200 characters", hint="Search for a name.")
        needle = fold(query)
        reading = kana_reading(needle) if needle else None
        wanted = {"type": set(types), "programme": set(programmes), "theme": set(themes)}
        sort_lang = lang if lang in SORT_LANGUAGES else SORT_LANGUAGES[0]
        conditions, params = [], {"n": needle, "nl": fold_long_vowels(needle)}
        params.update(r=reading or "", rl=fold_long_vowels(reading) if reading else "")
        for kind, values in wanted.items():
            if values:
                conditions.append(
                    f"e.id IN (SELECT entry FROM facets WHERE value IN (SELECT id FROM facet_values WHERE "
                    f"kind = :k_{kind} AND value IN (SELECT value FROM json_each(:v_{kind}))) "
                    f"GROUP BY entry HAVING COUNT(*) = :c_{kind})"
                )
                params.update({f"k_{kind}": kind, f"v_{kind}": json.dumps(sorted(values)), f"c_{kind}": len(values)})
        where = " AND ".join(conditions) or "1"
        if not needle:
            scored = f"SELECT e.id, 1.0, e.sort_{sort_lang} FROM entries e WHERE {where}"
        else:
            score = f"max({_TYPED})" if not reading else f"iif(max({_TYPED}) > 0, max({_TYPED}), max({_READING}))"
            found = "instr(k.folded, :n) > 0 OR instr(k.long, :nl) > 0"
            if reading:
                found += " OR instr(k.folded, :r) > 0 OR instr(k.long, :rl) > 0"
            scored = (
                f"SELECT e.id, {score} AS score, e.sort_{sort_lang} FROM keys k JOIN entries e ON e.id = k.entry "
                f"WHERE ({found}) AND {where} GROUP BY e.id HAVING score > 0"
            )
        with self._connection() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS hits(entry INTEGER PRIMARY KEY, score REAL, sort TEXT)")
            if time_limit is not None:
                deadline = time.monotonic() + time_limit
                db.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
            try:
                db.execute(f"INSERT INTO temp.hits {scored}", params)
                self._rescore_supplied(db, needle, reading, where, params, lang)
                total = db.execute("SELECT COUNT(*) FROM temp.hits").fetchone()[0]
                page = db.execute(
                    "SELECT e.id, e.iri, e.labels, e.alt_labels, h.score FROM temp.hits h JOIN entries e "
                    "ON e.id = h.entry ORDER BY h.score DESC, h.sort, e.iri LIMIT ? OFFSET ?",
                    (limit, offset),
                ).fetchall()
                counts = db.execute(
                    "SELECT v.kind, v.value, COUNT(*) FROM temp.hits h JOIN facets f ON f.entry = h.entry "
                    "JOIN facet_values v ON v.id = f.value GROUP BY f.value"
                ).fetchall()
                hits = [Hit(entry, score) for _, entry, score in self._entries(db, page)]
            except sqlite3.OperationalError as exc:
                if "interrupted" not in str(exc):
                    raise
                raise QueryTimeout(
                    f"the search ran past its time limit of {time_limit:g} s",
                    hint="Search for a longer name, or narrow it with a type, programme or theme.",
                ) from exc
            finally:
                db.set_progress_handler(None, 0)
                db.execute("DELETE FROM temp.hits")
        facets: dict[str, list[FacetValue]] = {name: [] for name, _ in FACET_ATTRIBUTES}
        for kind, value, count in counts:
            label = self.labels.label(value, lang) or value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            facets[kind].append(FacetValue(value, label, count, value in wanted[kind]))
        for values in facets.values():
            values.sort(key=lambda f: (-f.count, f.label.lower()))
        return SearchResult(query, total, hits, facets, offset, limit)

    def _rescore_supplied(self, db, needle: str, reading: str | None, where: str, params: dict, lang: str) -> None:
        """Score again, in Python, the entries the interface supplies names for (a theme in Japanese).

        Those names are the web app's, set per request (:data:`SUPPLIED_NAMES`), not the
        graph's: they can match where the graph's labels do not, and change the label
        results are ordered by.
        """
        supplied = SUPPLIED_NAMES.get()
        if not supplied:
            return
        rows = db.execute(
            f"SELECT e.id, e.iri, e.labels, e.alt_labels, 0.0 FROM entries e WHERE e.iri IN "
            f"(SELECT value FROM json_each(:supplied)) AND {where}",
            {**params, "supplied": json.dumps(sorted(supplied))},
        ).fetchall()
        for number, entry, _ in self._entries(db, rows):
            score = 1.0
            if needle:
                keys = entry.keys + [match_keys(name) for name in supplied[entry.iri].values()]
                score = _score(needle, params["nl"], keys)
                if reading and not score:
                    score = READING_FACTOR * _score(reading, params["rl"], keys)
            if score > 0:
                db.execute("INSERT OR REPLACE INTO temp.hits VALUES (?, ?, ?)", (number, score, _sort_key(entry, lang)))
            else:
                db.execute("DELETE FROM temp.hits WHERE entry = ?", (number,))

    def _entries(self, db, rows: list[tuple]) -> list[tuple[int, Entry, float]]:
        """(id, entry, score) of rows (id, iri, labels, alt_labels, score), in order, with facets and keys."""
        numbers = json.dumps([row[0] for row in rows])
        found = {row[0]: Entry(row[1], _literals(json.loads(row[2])), _literals(json.loads(row[3]))) for row in rows}
        for number, kind, value in db.execute(
            "SELECT f.entry, v.kind, v.value FROM facets f JOIN facet_values v ON v.id = f.value "
            "WHERE f.entry IN (SELECT value FROM json_each(?))",
            (numbers,),
        ):
            getattr(found[number], dict(FACET_ATTRIBUTES)[kind]).add(value)
        for number, folded, long in db.execute(
            "SELECT entry, folded, long FROM keys WHERE entry IN (SELECT value FROM json_each(?)) ORDER BY rowid",
            (numbers,),
        ):
            found[number].keys.append((folded, long))
        return [(row[0], found[row[0]], row[4]) for row in rows]

    def entry(self, iri: str) -> Entry | None:
        with self._connection() as db:
            row = db.execute("SELECT id, iri, labels, alt_labels, 0.0 FROM entries WHERE iri = ?", (iri,)).fetchone()
            return self._entries(db, [row])[0][1] if row else None


class _Entries(Mapping):
    """The index's entries by IRI, read from its file on demand."""

    def __init__(self, index: SearchIndex):
        self._index = index

    def __getitem__(self, iri: str) -> Entry:
        entry = self._index.entry(iri)
        if entry is None:
            raise KeyError(iri)
        return entry

    def __iter__(self) -> Iterator[str]:
        with self._index._connection() as db:
            iris = [row[0] for row in db.execute("SELECT iri FROM entries ORDER BY id")]
        return iter(iris)

    def __len__(self) -> int:
        with self._index._connection() as db:
            return db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

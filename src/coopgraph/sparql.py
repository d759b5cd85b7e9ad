"""Lexical facts about SPARQL text: its form, its dataset clauses, SERVICE calls, updates.

The endpoint must know whether a query calls SERVICE (and where) before handing it to
the engine, which would otherwise make the call. A tokenizer that skips comments,
strings and IRIs answers that reliably without a full parse, in microseconds.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?::[^\s{}();,.]*)?|:[^\s{}();,.]*)
  | (?P<punct>[{}();,.\[\]])
  | (?P<other>\S)
""",
    re.VERBOSE,
)

QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int


def tokens(text: str) -> list[Token]:
    """Split SPARQL into tokens, dropping comments (strings and IRIs stay whole)."""
    if len(text) <= _CACHED_LENGTH:
        return list(_cached_tokens(text))
    return _tokenize(text)


#: The endpoint asks several questions of each query (its form, SERVICE calls, its
#: dataset) in two processes; short texts are tokenized once per process.
_CACHED_LENGTH = 8192


@functools.lru_cache(maxsize=256)
def _cached_tokens(text: str) -> tuple[Token, ...]:
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[Token]:
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        out.append(Token(kind, match.group(), match.start()))
    return out


def keywords(text: str) -> list[str]:
    return [t.text.upper() for t in tokens(text) if t.kind == "word" and ":" not in t.text]


def _leading_operation(text: str) -> str | None:
    """Return the first query form keyword, "UPDATE" if an update keyword comes first, or None."""
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_WORDS or word == "WITH":
            return "UPDATE"
    return None


def query_form(text: str) -> str | None:
    """Return SELECT, CONSTRUCT, ASK or DESCRIBE (the first form keyword), or None."""
    operation = _leading_operation(text)
    return None if operation == "UPDATE" else operation


def looks_like_update(text: str) -> bool:
    """True when the text is a SPARQL Update request rather than a query."""
    return _leading_operation(text) == "UPDATE"


def service_targets(text: str) -> list[str | None]:
    """Return the endpoints SERVICE clauses call (None for a variable endpoint)."""
    toks = tokens(text)
    targets: list[str | None] = []
    for index, token in enumerate(toks):
        if token.kind == "word" and token.text.upper() == "SERVICE":
            following = toks[index + 1 : index + 3]
            if following and following[0].kind == "word" and following[0].text.upper() == "SILENT":
                following = following[1:]
            if following and following[0].kind == "iri":
                targets.append(following[0].text[1:-1])
            else:
                targets.append(None)
    return targets


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset with FROM / FROM NAMED."""
    words = keywords(text)
    return "FROM" in words


@functools.lru_cache(maxsize=1024)
def reads_default_graph_only(text: str) -> bool:
    """True when the query has neither FROM / FROM NAMED nor a GRAPH pattern: only its default graph counts.

    Asked of every query a serving copy answers (it picks the store that holds just the
    union), so the answer is kept per text.
    """
    words = keywords(text)
    return "FROM" not in words and "GRAPH" not in words


def variables(text: str) -> set[str]:
    return {t.text[1:] for t in tokens(text) if t.kind == "var"}


def where_brace(text: str) -> int | None:
    """Return the offset of the '{' opening the query's WHERE group (None if there is none).

    That is the first '{' at depth 0 after WHERE, or, with WHERE omitted, the first '{'
    at depth 0 after the query form keyword (a CONSTRUCT template is skipped because
    CONSTRUCT without WHERE only exists in the short form, which needs WHERE).
    """
    toks = tokens(text)
    form_seen, depth = None, 0
    for index, token in enumerate(toks):
        if token.kind == "word" and ":" not in token.text:
            word = token.text.upper()
            if form_seen is None and word in QUERY_FORMS:
                form_seen = word
            elif form_seen and depth == 0 and word == "WHERE":
                for later in toks[index + 1 :]:
                    if later.text == "{":
                        return later.start
                return None
        elif token.kind == "punct" and token.text == "{":
            if form_seen and depth == 0 and form_seen != "CONSTRUCT":
                return token.start
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
    return None


def inject_values(text: str, bindings: dict) -> str:
    """Bind variables to terms with a VALUES block at the start of the WHERE group.

    Terms are written in their N-Triples form (pyoxigraph escapes them), so a value can
    never change the query's structure. Blank nodes cannot be bound (VALUES forbids them).

    The same block is also written into every group *joined* with the WHERE group (the
    branches of a UNION, plain nested groups, GRAPH groups): a join distributes over a
    union and joining a one-row VALUES twice changes nothing, so the answers stay the
    same, but the engine, which evaluates groups bottom-up, can use the value inside the
    branches instead of computing every branch for every value and filtering at the end
    (a stored query with a UNION of five kinds of cooperation: 5 s -> 30 ms at 100k
    triples). Groups whose rows are not simply joined (OPTIONAL, MINUS, EXISTS, SERVICE,
    subqueries, VALUES data) are left alone, as is everything inside them, and so are
    groups that do not mention the variables (there the block would only add a join).
    """
    if not bindings:
        return text
    position = where_brace(text)
    if position is None:
        raise ValueError("the query has no WHERE group to bind values in")
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ValueError(f"not a variable name: {name!r}")
    row = " ".join(str(bindings[name]) for name in names)
    block = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }} "
    offsets = [position] + joined_groups(text, position, set(names))
    for offset in sorted(offsets, reverse=True):
        text = text[: offset + 1] + block + text[offset + 1 :]
    return text


_NOT_JOINED = {"OPTIONAL", "MINUS", "EXISTS"}


def joined_groups(text: str, where: int, names: set[str]) -> list[int]:
    """Offsets of the '{' of groups nested in the WHERE group (at ``where``) whose rows it joins
    and which mention one of the variables ``names``."""
    toks = tokens(text)
    start = next((i for i, t in enumerate(toks) if t.start == where), None)
    if start is None:
        return []
    found: list[int] = []
    stack = [True]  # the WHERE group itself
    opened: list[int] = []  # token index of each open group's '{', to find what it mentions
    mentioned: set[int] = set()  # groups (by the index of their '{') that mention a variable

    def word(index: int) -> str:
        if index < 0:
            return ""
        token = toks[index]
        return token.text.upper() if token.kind == "word" and ":" not in token.text else ""

    for index in range(start + 1, len(toks)):
        token = toks[index]
        if token.kind == "var" and token.text[1:] in names:
            mentioned.update(opened)
            continue
        if token.kind == "punct" and token.text == "}":
            stack.pop()
            if not stack:
                break
            opened.pop()
            continue
        if not (token.kind == "punct" and token.text == "{"):
            continue
        previous = toks[index - 1]
        joined = stack[-1]
        if word(index - 1) in _NOT_JOINED:
            joined = False
        elif previous.kind in ("iri", "var", "word") and word(index - 2) in ("SERVICE", "SILENT"):
            joined = False
        elif previous.kind == "var" and word(index - 2) == "VALUES":
            joined = False
        elif previous.text == ")":  # VALUES (?a ?b) { ... } -- or a FILTER/BIND before a group
            depth, back = 0, index - 1
            while back > start:
                if toks[back].text == ")":
                    depth += 1
                elif toks[back].text == "(":
                    depth -= 1
                    if depth == 0:
                        break
                back -= 1
            if word(back - 1) == "VALUES":
                joined = False
        following = toks[index + 1] if index + 1 < len(toks) else None
        if following is not None and following.kind == "word" and following.text.upper() == "SELECT":
            joined = False  # a subquery: its variables are its own
        if joined and not (following is not None and following.text == "}"):
            found.append(index)
        stack.append(joined)
        opened.append(index)
    return [toks[index].start for index in found if index in mentioned]


_MODIFIERS = {"GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"}


def with_dataset(text: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """Name the query's dataset in its text: the given FROM / FROM NAMED clauses replace its own.

    For servers that ignore the protocol's ``default-graph-uri`` for some query forms
    (Virtuoso, for CONSTRUCT). The clauses go just before WHERE (or the group that opens
    the query's pattern); a DESCRIBE without a pattern gets them before its modifiers.
    """
    toks = tokens(text)
    form_index, depth, insert_at, removed = None, 0, None, []
    index = 0
    while index < len(toks):
        token = toks[index]
        word = token.text.upper() if token.kind == "word" and ":" not in token.text else None
        if form_index is None:
            if word in QUERY_FORMS:
                form_index = index
            index += 1
            continue
        if token.kind == "punct" and token.text == "{":
            if depth == 0 and toks[form_index].text.upper() != "CONSTRUCT" and insert_at is None:
                insert_at = token.start
                break
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
            if depth == 0 and toks[form_index].text.upper() == "CONSTRUCT":
                # the template is over; the dataset and WHERE come next
                form_index = index
                toks[form_index] = Token("word", "SELECT", token.start)
        elif depth == 0 and word == "FROM":
            end = index + 1
            if end < len(toks) and toks[end].kind == "word" and toks[end].text.upper() == "NAMED":
                end += 1
            last = toks[end] if end < len(toks) else token
            removed.append((token.start, last.start + len(last.text)))
            index = end + 1
            continue
        elif depth == 0 and word == "WHERE":
            insert_at = token.start
            break
        elif depth == 0 and word in _MODIFIERS:
            insert_at = token.start
            break
        index += 1
    if insert_at is None:
        insert_at = len(text)
    clauses = "".join(f"FROM <{g}> " for g in default_graphs) + "".join(f"FROM NAMED <{g}> " for g in named_graphs)
    pieces, cursor = [], 0
    for start, end in removed:
        pieces.append(text[cursor:start])
        cursor = end
    head = "".join(pieces) + text[cursor:insert_at]
    return head.rstrip() + "\n" + clauses + text[insert_at:]

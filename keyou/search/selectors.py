"""Read the search index: one query interface over SQLite FTS5 and PostgreSQL tsvector."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from keyou.search.models import SearchKind
from keyou.search.tokens import PREFIX, query_tokens

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str  # a SearchKind value
    object_id: int
    rank: float  # higher is better; comparable within one search only


def _fts5_match(tokens: list[str]) -> str:
    # Every token is a quoted string, so FTS5 reads AND, NEAR, *, :, ( and - as text.
    terms = []
    for token in tokens:
        word = token.removesuffix(PREFIX)
        quoted = '"' + word.replace('"', '""') + '"'
        terms.append(quoted + "*" if token.endswith(PREFIX) else quoted)
    return " ".join(terms)


def _tsquery(tokens: list[str]) -> str:
    # A tsquery literal of quoted lexemes: no parser, no operators from the user.
    terms = []
    for token in tokens:
        word = token.removesuffix(PREFIX)
        quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
        terms.append(quoted + ":*" if token.endswith(PREFIX) else quoted)
    return " & ".join(terms)


def _account_filter(account_ids: Iterable[int]) -> tuple[str, list]:
    """Return SQL (on alias d) keeping docs filed to one of ACCOUNT_IDS, and its params."""
    if isinstance(account_ids, QuerySet):
        qs = account_ids if account_ids._fields else account_ids.values("pk")
        sql, params = qs.query.get_compiler(connection=connection).as_sql()
        allowed, params = f"({sql})", list(params)
    elif connection.vendor == "postgresql":
        allowed, params = "(SELECT unnest(%s::bigint[]))", [[int(i) for i in account_ids]]
    else:
        allowed = "(SELECT value FROM json_each(%s))"
        params = [json.dumps([int(i) for i in account_ids])]
    if connection.vendor == "postgresql":
        elements = "SELECT 1 FROM jsonb_array_elements_text(d.account_ids) AS a(id)"
        return f"EXISTS ({elements} WHERE a.id::bigint IN {allowed})", params
    elements = "SELECT 1 FROM json_each(d.account_ids) AS a"
    return f"EXISTS ({elements} WHERE a.value IN {allowed})", params


def search(
    query: str,
    *,
    kinds: set[str] | None = None,
    account_ids: Iterable[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Hit]:
    """Return the documents holding every token of QUERY, best first (newest on ties).

    Treat QUERY as plain text, whatever quotes or operators it holds; return [] when it
    has no tokens. KINDS (SearchKind values) limits the kinds searched. ACCOUNT_IDS
    (ids or a QuerySet of them: the accounts the user may see) keeps only documents
    filed to one of them; None searches everything.
    """
    tokens = query_tokens(query or "")
    if not tokens:
        return []
    unknown = set(kinds or ()) - set(SearchKind.values)
    if unknown:
        raise ValueError(f"unknown search kinds: {sorted(unknown)}")
    where, params = [], []
    if kinds is not None:
        if not kinds:
            return []
        where.append("d.kind IN ({})".format(", ".join(["%s"] * len(kinds))))
        params += sorted(kinds)
    if account_ids is not None:
        sql, more = _account_filter(account_ids)
        where.append(sql)
        params += more
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if not limit:
        return []
    extra = "".join(f" AND {clause}" for clause in where)
    if connection.vendor == "sqlite":
        sql = (
            "SELECT d.kind, d.object_id, -bm25(search_fts) AS score"
            " FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid"
            f" WHERE search_fts MATCH %s{extra}"
            " ORDER BY score DESC, d.object_id DESC LIMIT %s OFFSET %s"
        )
        params = [_fts5_match(tokens), *params, limit, offset]
    elif connection.vendor == "postgresql":
        sql = (
            "SELECT d.kind, d.object_id, ts_rank(d.tokens, q) AS score"
            " FROM search_doc d, CAST(%s AS tsquery) AS q"
            f" WHERE d.tokens @@ q{extra}"
            " ORDER BY score DESC, d.object_id DESC LIMIT %s OFFSET %s"
        )
        params = [_tsquery(tokens), *params, limit, offset]
    else:
        raise NotImplementedError(f"no search index for {connection.vendor}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(kind, int(oid), float(score)) for kind, oid, score in cursor.fetchall()]

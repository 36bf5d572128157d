"""Turn text into search tokens: words, CJK bigrams and joined addresses.

Both index backends receive tokens already cut here, so SQLite and PostgreSQL
match exactly the same way and neither re-tokenizes (see the migration).

- Text is NFKC-normalized and casefolded: fullwidth ＡＢＣ１２３ and halfwidth ｶﾀｶﾅ
  become their ordinary forms; soft hyphens and variation selectors are dropped.
- A word is a run of letters, digits and combining marks (so हिन्दी and สวัสดี stay whole).
- A run of Han, Hiragana, Katakana or Hangul is cut into overlapping two-character
  tokens. The index also keeps the run's last character alone, so that every
  character starts some token and a one-character query can be a prefix search.
- An email address or dotted name (acme.co.uk, pi-2024.pdf) also yields its
  pieces joined without punctuation (buyeracmecouk, acmecouk), so a query for the
  whole address asks for it as one token instead of four loose words.

Tokens hold no whitespace and no ASCII punctuation. `query_tokens` marks a
prefix token with a trailing "*", which no real token contains.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

MAX_TOKEN_LEN = 64  # longer runs (base64, hashes) are cut here, on both sides alike
MAX_QUERY_TOKENS = 32  # a pasted paragraph should not become a 500-term AND
PREFIX = "*"

# Han (with 々〆〇 and Hangzhou numerals), Hiragana, Katakana without the ・ separator,
# Hangul syllables and jamo, and the supplementary ideograph planes.
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3041-\u309f\u30a1-\u30fa"
    "\u30fc-\u30ff\u3131-\u318e\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\U0001b000-\U0001b16f"
    "\U00020000-\U0002fa1f\U00030000-\U000323af"
)
_DROP = re.compile("[\u00ad\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# Addresses and dotted names live inside runs of these characters; scanning the
# runs first keeps the address pattern off ordinary prose.
_COMPOUND_CHUNK = re.compile(r"[a-z0-9._%+@-]+")
_COMPOUND = re.compile(
    r"(?P<local>[a-z0-9][a-z0-9._%+-]*)@(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)+)"
    r"|(?P<dotted>[a-z0-9-]+(?:\.[a-z0-9-]+)+)"
)
_ASCII_ALNUM = re.compile(r"[a-z0-9]+")


@cache
def _mark_class() -> str:
    # Python's \w leaves out combining marks, which would cut most Indic and Thai
    # words apart; the marks are collected once (about 20 ms) on first use.
    ranges: list[list[int]] = []
    for code in range(0x20000):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


@cache
def _runs() -> re.Pattern[str]:
    # Group 1: a CJK run. Group 2: a word, letters and digits with marks inside
    # or after them ((letter|mark)+, spelled so the engine does not backtrack).
    word, mark = rf"[^\W_{_CJK}]", f"[{_mark_class()}]"
    return re.compile(rf"([{_CJK}]+)|({word}+(?:{mark}+{word}*)*|{mark}+(?:{word}+{mark}*)*)")


def normalize(text: str) -> str:
    """Return TEXT as the tokenizer sees it: NFKC, casefolded, invisible marks dropped."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).casefold())


def _compounds(text: str, *, query: bool) -> list[str]:
    out = []
    for chunk in _COMPOUND_CHUNK.findall(text):
        if "." not in chunk and "@" not in chunk:
            continue
        for match in _COMPOUND.finditer(chunk):
            if match["dotted"]:
                pieces = [match["dotted"]]
            elif query:
                pieces = [match[0]]
            else:
                pieces = [match["local"], match["domain"], match[0]]
            for piece in pieces:
                words = _ASCII_ALNUM.findall(piece)
                # A piece that is one word already is indexed as that word.
                if len(words) > 1:
                    out.append("".join(words)[:MAX_TOKEN_LEN])
    return out


def index_tokens(text: str) -> list[str]:
    """Return the tokens to index for TEXT, in order, repeats kept (they weigh in ranking)."""
    text = normalize(text)
    tokens = []
    for cjk, word in _runs().findall(text):
        if word:
            tokens.append(word[:MAX_TOKEN_LEN])
        elif len(cjk) == 1:
            tokens.append(cjk)
        else:
            tokens.extend([cjk[i : i + 2] for i in range(len(cjk) - 1)])
            tokens.append(cjk[-1])
    tokens.extend(_compounds(text, query=False))
    return tokens


def query_tokens(text: str) -> list[str]:
    """Return the distinct tokens that must all be present for a document to match TEXT.

    A token ending in "*" is a prefix: a lone CJK character matches every bigram it starts.
    """
    text = normalize(text)
    tokens = []
    for cjk, word in _runs().findall(text):
        if word:
            tokens.append(word[:MAX_TOKEN_LEN])
        elif len(cjk) == 1:
            tokens.append(cjk + PREFIX)
        else:
            tokens.extend([cjk[i : i + 2] for i in range(len(cjk) - 1)])
    tokens.extend(_compounds(text, query=True))
    return list(dict.fromkeys(tokens))[:MAX_QUERY_TOKENS]

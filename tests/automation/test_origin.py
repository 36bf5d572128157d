"""Where an inquiry comes from: sender domain, phone number in the signature, language."""

from __future__ import annotations

import pytest

from keyou.automation.origin import (
    Origin,
    domain_country,
    origin_detect,
    signature_phone_country,
    text_language,
)

ZH = "您好，我们对贵公司的LED灯具很感兴趣，请发报价单和目录给我们，谢谢！"
JA = "お世話になっております。LEDパネルの見積もりをお願いできますでしょうか。"
KO = "안녕하세요, LED 패널 견적을 부탁드립니다. 감사합니다."
RU = "Здравствуйте! Пришлите, пожалуйста, прайс-лист на светодиодные панели. Спасибо."
ES = (
    "Hola, estamos interesados en sus paneles LED. Por favor envíenos una cotización "
    "para 500 unidades. Gracias y saludos."
)
DE = (
    "Sehr geehrte Damen und Herren, wir sind an Ihren LED-Panels interessiert und bitten "
    "um ein Angebot für 500 Stück. Mit freundlichen Grüßen"
)
EN = (
    "Dear Sir or Madam, we are interested in your LED panels. Please send us your price "
    "list and the MOQ. Best regards, John"
)


@pytest.mark.parametrize(
    ("domain", "country"),
    [
        ("firma.de", "DE"),
        ("mail.firma.de", "DE"),
        ("acme.co.uk", "GB"),
        ("acme.uk", "GB"),
        ("example.com.cn", "CN"),
        ("example.cn", "CN"),
        ("loja.com.br", "BR"),
        ("shop.co.jp", "JP"),
        ("example.fr", "FR"),
        ("example.com.mx", "MX"),
        ("example.vn", "VN"),
        ("EXAMPLE.DE.", "DE"),  # case and a trailing dot
        ("example.eu", ""),  # no single country
        ("example.com", ""),
        ("example.net", ""),
        ("example.org", ""),
        ("startup.io", ""),  # sold as generic
        ("example.co", ""),  # Colombia, but mostly generic
        ("example.info", ""),
        ("example.xx", ""),  # not an ISO code
        ("例子.中国", "CN"),
        ("example.xn--fiqs8s", "CN"),  # .中国 as punycode
        ("", ""),
    ],
)
def test_country_from_the_domain(domain, country):
    assert domain_country(domain) == country


@pytest.mark.parametrize(
    "domain",
    [
        "qq.com",
        "vip.qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "yeah.net",
        "aliyun.com",
        "foxmail.com",
        "139.com",
    ],
)
def test_chinese_free_mail_is_china(domain):
    assert origin_detect(sender=f"Wang Wei <wang@{domain}>", text="Hello") == Origin(
        country="CN", language="", how="domain"
    )


def test_the_domain_wins_over_the_phone_number():
    origin = origin_detect(sender="hans@firma.de", text=f"{DE}\n\nTel. +86 21 6888 1234")
    assert origin == Origin(country="DE", language="de", how="domain")


@pytest.mark.parametrize(
    ("signature", "country"),
    [
        ("Hans Müller\nEinkauf\nTel.: +49 (0)30 1234567", "DE"),
        ("Hans Müller\nTel: 0049 30 12345678", "DE"),
        ("王伟 采购部\n电话：0086 21 6888 1234", "CN"),
        ("Wang Wei\nMobile: +86 138 0013 8000", "CN"),
        ("John\nPhone +1 (415) 555-0132", "US"),
        ("Ana\nWhatsApp: +55 11 98765-4321", "BR"),
        ("John\nPhone 415-555-0132", ""),  # no international prefix: no country
        ("Order 10049301234567", ""),  # digits inside a longer number are not a phone
    ],
)
def test_country_from_a_phone_number_in_the_signature(signature, country):
    text = f"Hello,\n\nplease send your catalogue.\n\nBest regards\n{signature}\n"
    origin = origin_detect(sender="buyer@gmail.com", text=text)
    assert (origin.country, origin.how) == (country, "phone" if country else "")


def test_only_the_signature_counts_for_the_phone_number():
    body = "Our last order: call +49 30 1234567 for delivery.\n" + "More text.\n" * 30
    assert signature_phone_country(body + "Regards, Ana") == ""


def test_a_number_in_a_quoted_message_does_not_count():
    text = (
        "Thanks, please quote 200 more.\n\nAna\n\n"
        "-----Original Message-----\nFrom: Alice\nTel: +86 755 8888 1234\n"
    )
    assert signature_phone_country(text) == ""


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (ZH, "zh"),
        (JA, "ja"),
        (KO, "ko"),
        (RU, "ru"),
        (ES, "es"),
        (DE, "de"),
        (EN, "en"),
        (
            "Bonjour, nous sommes intéressés par vos produits. Merci de nous envoyer votre prix.",
            "fr",
        ),
        ("Olá, gostaria de receber uma cotação para 500 painéis. Obrigado, atenciosamente.", "pt"),
        ("Buongiorno, siamo interessati ai vostri prodotti. Cordiali saluti e grazie", "it"),
        (
            "Merhaba, ürünleriniz ile ilgileniyoruz. Lütfen fiyat listesi gönderin. Teşekkürler",
            "tr",
        ),
        ("Xin chào, chúng tôi muốn báo giá cho 500 sản phẩm. Cảm ơn anh chị.", "vi"),
        ("Selamat pagi, kami ingin tahu harga untuk 500 unit. Terima kasih.", "id"),
        ("مرحبا، نرجو إرسال قائمة الأسعار", "ar"),
        ("สวัสดีครับ ขอใบเสนอราคาสำหรับแผง LED", "th"),
        ("Please quote 500 LED panels.", ""),  # too few words to be sure
        ("", ""),
        (EN + "\n王伟", "en"),  # a Chinese name in an English email
    ],
)
def test_language_of_the_text(text, language):
    assert text_language(text) == language


@pytest.mark.parametrize(
    ("text", "country"),
    [(ZH, "CN"), (JA, "JP"), (KO, "KR"), (EN, ""), (ES, ""), (RU, "")],
)
def test_language_gives_a_country_only_when_one_country_speaks_it(text, country):
    origin = origin_detect(sender="buyer@gmail.com", text=text)
    assert origin.country == country
    assert origin.how == ("language" if country else "")


def test_nothing_known():
    assert origin_detect(sender="", text="") == Origin()
    assert origin_detect(sender="not an address", text="ok") == Origin()

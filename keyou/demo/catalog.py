"""What the demo company trades and talks about: products, terms, defects, newsletters.

Simplified strings encode in GB2312 and traditional ones in Big5 (tests/demo checks).
"""

from __future__ import annotations

# (English name, simplified, traditional, USD low, USD high, unit)
PRODUCTS = (
    ("LED panel light 600x600 40W", "LED面板灯 600x600 40W", "LED面板燈 600x600 40W", 9, 18, "pc"),
    ("LED high bay light 150W", "LED工矿灯 150W", "LED工礦燈 150W", 28, 55, "pc"),
    ("Solar garden light", "太阳能庭院灯", "太陽能庭院燈", 3, 9, "pc"),
    ("USB-C charging cable 1m", "USB-C 充电线 1米", "USB-C 充電線 1米", 0.6, 1.8, "pc"),
    ("Power bank 10000mAh", "移动电源 10000mAh", "行動電源 10000mAh", 5, 11, "pc"),
    ("Stainless steel bolt M8x40", "不锈钢螺栓 M8x40", "不鏽鋼螺栓 M8x40", 0.04, 0.12, "pc"),
    ("Cordless drill 18V", "充电电钻 18V", "充電電鑽 18V", 19, 38, "set"),
    ("Cotton T-shirt 180gsm", "纯棉T恤 180克", "純棉T恤 180克", 1.9, 4.5, "pc"),
    ("Non-woven shopping bag", "无纺布购物袋", "不織布購物袋", 0.15, 0.6, "pc"),
    ("Kraft paper box", "牛皮纸盒", "牛皮紙盒", 0.2, 0.9, "pc"),
    ("PP storage box 30L", "PP收纳箱 30升", "PP收納箱 30升", 2.2, 5.5, "pc"),
    ("Ceramic coffee mug 350ml", "陶瓷咖啡杯 350毫升", "陶瓷咖啡杯 350毫升", 0.8, 2.4, "pc"),
    ("Bluetooth speaker", "蓝牙音箱", "藍牙音箱", 6, 16, "pc"),
    ("Smart plug WiFi", "智能插座 WiFi", "智慧插座 WiFi", 3.5, 7.5, "pc"),
    ("Silicone kitchen spatula", "硅胶厨房铲", "矽膠廚房鏟", 0.5, 1.6, "pc"),
    ("Aluminium profile 6063", "铝型材 6063", "鋁型材 6063", 2.8, 3.6, "kg"),
    ("PVC garden hose 20m", "PVC 花园水管 20米", "PVC 花園水管 20米", 4, 9, "roll"),
    ("Office chair mesh", "网布办公椅", "網布辦公椅", 22, 48, "pc"),
    ("Electric kettle 1.7L", "电热水壶 1.7升", "電熱水壺 1.7升", 5.5, 12, "pc"),
    ("Yoga mat TPE 6mm", "TPE 瑜伽垫 6毫米", "TPE 瑜伽墊 6毫米", 3, 7, "pc"),
)

INCOTERMS = ("FOB Shanghai", "FOB Ningbo", "CIF", "EXW", "FOB Shenzhen", "DDP")
PAYMENT_TERMS = (
    "30% T/T deposit, 70% balance against copy of B/L",
    "100% T/T before shipment",
    "L/C at sight",
    "30% deposit, balance before shipment",
    "Net 30 days after B/L date",
)
DEFECTS_EN = (
    "about 8% of the units flicker after a few hours",
    "several cartons arrived crushed and the products inside are scratched",
    "the colour does not match the approved sample",
    "the plugs are the wrong type for our market",
    "the printing on the gift box is blurred",
    "many units stop working after one week",
)
DEFECTS_ZH = (
    ("大约8%的产品使用几个小时后出现闪烁", "大約8%的產品使用幾個小時後出現閃爍"),
    ("有几箱外包装被压坏，里面的产品有划痕", "有幾箱外包裝被壓壞，裡面的產品有刮痕"),
    ("颜色和确认的样品不一致", "顏色和確認的樣品不一致"),
    ("彩盒上的印刷模糊不清", "彩盒上的印刷模糊不清"),
    ("很多产品用了一个星期就坏了", "很多產品用了一個星期就壞了"),
)

NEWSLETTERS = (
    ("Global Sources", "news@globalsources-mail.com", "Trade Show Weekly"),
    ("Canton Fair Updates", "newsletter@cantonfair-news.org", "Exhibitor Bulletin"),
    ("Freight Market Report", "report@freightwatch.io", "Container Rates This Week"),
    ("阿里巴巴国际站", "service@intl-alibaba-news.com", "商机周报"),
)

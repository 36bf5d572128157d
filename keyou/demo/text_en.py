"""English B2B trade message templates, keyed by thread step.

Each step maps to variants; a variant is a list of paragraphs with str.format fields
filled from the thread context (see compose.py).
"""

from __future__ import annotations

GREETINGS = ("Dear {first},", "Hi {first},", "Hello {first},", "Dear {first},")
CLOSINGS = ("Best regards,", "Kind regards,", "Thanks and best regards,", "Best wishes,")

STEPS: dict[str, list[list[str]]] = {
    "inquiry": [
        [
            "We found your company on Global Sources and are interested in your {product}. "
            "Could you please send us your best quotation and price list?",
            "Our estimated quantity is {qty} pcs for the first order, with repeat orders every "
            "quarter if quality and price are right. Please quote {incoterm} and advise the MOQ, "
            "lead time and payment terms.",
            "Please also let us know whether you can supply a sample before we place the order.",
        ],
        [
            "I am the purchasing manager of {company}. We are looking for a reliable supplier of "
            "{product} for our retail customers.",
            "Kindly send us a quotation for {qty} units, delivery to {port}, together with your "
            "catalogue and certificates (CE / RoHS).",
            "What is your MOQ? Can you print our logo on the product and the packaging?",
        ],
        [
            "Following our meeting at the Canton Fair, please quote the items below:",
            "{items}",
            "Please include the price for {incoterm}, the packing details and the earliest "
            "shipment date. We need the quotation by the end of this week.",
        ],
    ],
    "followup": [
        [
            "I hope this email finds you well. We have just released our new price list for "
            "{product} and related items, please find the details below.",
            "Many customers in your market have placed orders for the new model. The MOQ is "
            "only {moq} pcs and we can ship within {days} days.",
            "Please let me know if you have any new projects; I will be happy to send samples.",
        ],
        [
            "Just following up on my previous email about {product}. Did you have a chance to "
            "review our offer?",
            "We are now offering an extra {percent}% discount for orders confirmed before the "
            "end of the month.",
        ],
    ],
    "interest": [
        [
            "Thanks for your email. We are interested in the {product}.",
            "Please quote {qty} pcs {incoterm} and send the specification sheet.",
        ],
        [
            "Yes, we have a new project for {qty} pcs of {product}. What would be your best "
            "price for this quantity?",
            "From our side the packaging must be in English and French, please confirm.",
        ],
    ],
    "quote": [
        [
            "Thank you for your inquiry. Please find our quotation below:",
            "{items}",
            "Price terms: {incoterm}. Payment terms: {payment}. Lead time: {days} days after "
            "receipt of deposit. Quotation valid for 30 days.",
            "{specs}",
            "The attached price list also shows our other models. Please feel free to contact "
            "me if you need any further information.",
        ],
        [
            "Thanks for your interest in our products. Our best price for {product} is "
            "{price}/pc based on {qty} pcs.",
            "{items}",
            "MOQ: {moq} pcs. Delivery: {days} days. Payment: {payment}.",
            "{specs}",
        ],
    ],
    "negotiate": [
        [
            "Thank you for the quotation. Unfortunately your price is higher than our other "
            "suppliers. Our target price is {target}/pc.",
            "If you can accept this price we can increase the quantity to {qty} pcs.",
        ],
        [
            "We have compared your offer with two other factories. Can you give us a better "
            "price? Also, can the lead time be shortened to 25 days?",
            "From our experience the market price is around {target}.",
        ],
    ],
    "counter": [
        [
            "Thanks for your feedback. We have discussed it with our boss and can offer a "
            "special price of {price}/pc for {qty} pcs. This is really our best price.",
            "{items}",
            "We cannot go lower because the cost of raw materials has increased this year.",
        ],
        [
            "We understand your situation. If you accept {payment}, we can give you "
            "{percent}% discount on the total amount.",
            "{items}",
        ],
    ],
    "sample_req": [
        [
            "The price is acceptable. Before placing the order we need {samples} samples for "
            "testing. Can you send them by DHL? We can pay the courier cost.",
        ],
        [
            "Could you please send us samples of the {product}? Our QC team needs to test "
            "them before we confirm the order. Our DHL account is {account}.",
        ],
    ],
    "sample_sent": [
        [
            "The samples were sent today by {courier}, tracking number {tracking}. "
            "It usually takes 3-5 working days.",
            "Please check them and give us your feedback.",
        ],
        [
            "Good news, the samples are ready and have been shipped via {courier} "
            "(AWB {tracking}). Photos of the samples are attached.",
        ],
    ],
    "order": [
        [
            "The samples passed our test. Please find attached our purchase order {po}.",
            "{items}",
            "Please send us the proforma invoice and confirm the delivery date.",
        ],
        [
            "We are pleased to confirm the order for {qty} pcs of {product} at {price}/pc, "
            "{incoterm}. PO number {po}.",
            "Please make sure the cartons are marked with our PO number and item code.",
        ],
    ],
    "order_confirm": [
        [
            "Thank you for your order {po}. Please find attached our proforma invoice {pi} "
            "for {amount}.",
            "{items}",
            "Production will start once we receive the deposit. Estimated shipment: {etd}.",
            "Bank details: Bank of China, Shanghai Branch, SWIFT BKCHCNBJ300, "
            "A/C No. 4376 5820 1193 (Keyou Demo Trading Co., Ltd.).",
        ],
        [
            "Order {po} confirmed. Mass production is scheduled and the goods will be ready "
            "around {etd}. We will send you photos before packing.",
        ],
    ],
    "shipping": [
        [
            "The goods for {po} have been loaded. Vessel: {vessel}, ETD {etd}, port of "
            "discharge {port}.",
            "Please find the B/L draft, commercial invoice and packing list attached. Kindly "
            "arrange the balance payment of {amount}.",
        ],
    ],
    "complaint": [
        [
            "We received the shipment for order {po} last week. Unfortunately {defect}.",
            "This is not acceptable. Our customer is very unhappy and we need a solution "
            "immediately: either replacement or a refund.",
        ],
        [
            "I am writing to complain about the quality of the last order {po}: {defect}.",
            "Photos are attached. Please investigate and let us know how you will compensate "
            "us for the loss.",
        ],
    ],
    "apology": [
        [
            "We are very sorry for the trouble. I have forwarded your photos to our QC "
            "department and the factory is checking the production records.",
            "Could you please tell us how many pieces are affected? We will give you a reply "
            "within 2 days.",
        ],
        [
            "Sorry to hear about this. Quality is always our first priority. We will "
            "investigate immediately and come back to you with a solution.",
        ],
    ],
    "evidence": [
        [
            "We checked all cartons. {percent}% of the goods are affected. The inspection "
            "report and more photos are attached.",
        ],
    ],
    "investigation": [
        [
            "Our QC team found that the problem was caused by a batch of faulty components "
            "from one sub-supplier. We have replaced the supplier and improved the inspection.",
        ],
    ],
    "refund_ask": [
        [
            "We would like a refund of {amount} for the defective goods, or a credit note "
            "against our next order. Please confirm which option you prefer.",
        ],
        [
            "Our customer asked for a refund. We expect you to cover at least {amount}. "
            "Otherwise we will have to look for another supplier.",
        ],
    ],
    "refund_offer": [
        [
            "We can offer you a refund of {amount}, or free replacement of the defective "
            "pieces in your next shipment. We hope this is acceptable to you.",
        ],
        [
            "As compensation we will issue a credit note of {amount} to be deducted from "
            "your next order. Sorry again for the inconvenience.",
        ],
    ],
    "accept": [["Thanks, the credit note is fine for us. Please send it by email."]],
    "closing": [["Thank you for your understanding. The credit note is attached."]],
}

EXTRAS = (
    "By the way, our office will be closed from 1 to 7 October for the National Day holiday.",
    "From next month the price of {product} may increase because of the exchange rate.",
    "Please also note our new WhatsApp number in the signature below.",
    "We will be at the Canton Fair in April, booth 11.2 C23, and would be glad to meet you.",
    "Please confirm receipt of this email.",
    "If you need anything else, please do not hesitate to contact me.",
)

SPECS = (
    "Specifications:\n- Material: aluminium housing, PC diffuser\n- Certification: CE, RoHS, "
    "FCC\n- Warranty: 2 years\n- Packing: 1 pc/colour box, 20 pcs/carton\n"
    "- Carton size: 62 x 62 x 45 cm, G.W. 18 kg",
    "Specifications:\n- Colour: white / black / grey (Pantone on request)\n- Logo: silk "
    "screen printing, 1 colour included\n- Packing: polybag + export carton\n"
    "- 20GP container: approx. 9,800 pcs",
)

DISCLAIMER = (
    "CONFIDENTIALITY NOTICE: This email and any attachments are confidential and intended "
    "only for the addressee. If you have received it in error, please notify the sender "
    "and delete it. Keyou Demo Trading does not accept liability for any errors or "
    "omissions in the contents of this message."
)

"""The rates and prices an install starts with, dated and sourced (design section 2).

The India pathway was first seeded with IGST 18%, the rate of other goods (orders
migration 0006 corrected its description). Medicines paid 12% until 21 September 2025,
and since 22 September 2025 pay 5%, with a listed set of life-saving and rare-disease
drugs at nil: the rates below say so, each from its date, so a quotation made on any
day finds the rate then in force. The exchange rate, price list, freight and fee are
the demo's: a coordinator enters the real ones in the admin.

Migration 0002 loads this into a new database; tests load it again after a flush.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.apps import apps as global_apps

MEDICINES_12 = (
    "IGST on medicines (Chapter 30) 12%: Notification 1/2017-Integrated Tax (Rate), Schedule II"
)
MEDICINES_5 = (
    "IGST on medicines 5% from 22 September 2025 (GST Council, 56th meeting; "
    "IGST rate notification of September 2025)"
)
LISTED_NIL = (
    "IGST nil from 22 September 2025 on the listed life-saving and rare-disease drugs "
    "(GST Council, 56th meeting)"
)
BASIC = "Basic customs duty 10% (Customs Tariff, heading 3004); social welfare surcharge 10% of it"

DUTY_RATES = [
    # (rate class, effective from, basic, surcharge of basic, IGST, source)
    ("medicine", dt.date(2017, 7, 1), "10", "10", "12", f"{BASIC}; {MEDICINES_12}"),
    ("medicine", dt.date(2025, 9, 22), "10", "10", "5", f"{BASIC}; {MEDICINES_5}"),
    ("listed_nil", dt.date(2025, 9, 22), "10", "10", "0", f"{BASIC}; {LISTED_NIL}"),
]

EXEMPTIONS = [
    {
        "exemption": "free_of_cost",
        "effective_from": dt.date(2017, 7, 1),
        "basic_nil": True,
        "igst_nil": True,
        "certificate": (
            "Certificate from the Directorate General of Health Services (or the state's "
            "health services) that the drug is life-saving and supplied free of cost, and "
            "the importer's undertaking"
        ),
        "source": "Notification 50/2017-Customs, S.No. 607A",
    },
    {
        "exemption": "rare_disease",
        "effective_from": dt.date(2023, 4, 1),
        "basic_nil": True,
        "igst_nil": False,
        "certificate": (
            "Certificate from the Directorate General of Health Services (or a state or "
            "district health officer) that the drug is for a rare disease on the national list"
        ),
        "source": "Notification 50/2017-Customs as amended, from 1 April 2023 (rare diseases)",
    },
]

SERVICE_FEE = {
    "description": "Named-patient import: application, ordering, customs and delivery",
    "amount": Decimal("25000.00"),
    "sac_code": "998599",
    "effective_from": dt.date(2025, 4, 1),
}
SERVICE_GST = {
    "gst_percent": Decimal("18.00"),
    "effective_from": dt.date(2017, 7, 1),
    "source": "Other support services (SAC 9985): GST 18%, Notification 11/2017-Central Tax (Rate)",
}
LUPKYNIS_TARIFF = {"hsn_code": "30049099", "rate_class": "medicine", "rare_disease_listed": False}
LUPKYNIS_PRICE = {
    "currency": "USD",
    "unit_price": Decimal("7650.00"),
    "valid_from": dt.date(2026, 1, 1),
    "incoterm": "FCA",
    "named_place": "Mississauga, Ontario (supplier's warehouse)",
    "payment_terms": "100% in advance of shipment, by bank transfer",
    "source": "Aurinia named-patient price list 2026 (demo)",
}
AURINIA_FREIGHT = {
    "route": "Temperature-controlled air courier, Canada to India",
    "currency": "USD",
    "freight_flat": Decimal("650.00"),
    "insurance_percent": Decimal("0.500"),
    "valid_from": dt.date(2026, 1, 1),
}
USD_RATE = {
    "currency": "USD",
    "rupees_per_unit": Decimal("88.2500"),
    "rate_date": dt.date(2026, 1, 1),
    "source": "Customs exchange rate notification for imports (demo value)",
}


def billing_reference_load(*, apps=global_apps) -> None:
    Pathway = apps.get_model("orders", "Pathway")
    Product = apps.get_model("orders", "Product")
    Supplier = apps.get_model("orders", "Supplier")
    india = Pathway.objects.filter(code="IN-12A").first()
    if india is not None:
        for rate_class, effective, basic, surcharge, igst, source in DUTY_RATES:
            apps.get_model("billing", "DutyRate").objects.update_or_create(
                pathway=india,
                rate_class=rate_class,
                effective_from=effective,
                defaults={
                    "basic_percent": Decimal(basic),
                    "surcharge_percent_of_basic": Decimal(surcharge),
                    "igst_percent": Decimal(igst),
                    "source": source,
                },
            )
        for rule in EXEMPTIONS:
            apps.get_model("billing", "DutyExemptionRule").objects.update_or_create(
                pathway=india,
                exemption=rule["exemption"],
                effective_from=rule["effective_from"],
                defaults=rule,
            )
        apps.get_model("billing", "ServiceFee").objects.update_or_create(
            pathway=india, effective_from=SERVICE_FEE["effective_from"], defaults=SERVICE_FEE
        )
    apps.get_model("billing", "ServiceTaxRate").objects.update_or_create(
        effective_from=SERVICE_GST["effective_from"], defaults=SERVICE_GST
    )
    apps.get_model("billing", "ExchangeRate").objects.update_or_create(
        currency=USD_RATE["currency"], rate_date=USD_RATE["rate_date"], defaults=USD_RATE
    )
    lupkynis = Product.objects.filter(brand_name="Lupkynis").first()
    aurinia = Supplier.objects.filter(name="Aurinia Pharmaceuticals Inc.").first()
    if lupkynis is not None:
        apps.get_model("billing", "ProductTariff").objects.update_or_create(
            product=lupkynis, defaults=LUPKYNIS_TARIFF
        )
    if lupkynis is not None and aurinia is not None:
        apps.get_model("billing", "SupplierPrice").objects.update_or_create(
            supplier=aurinia,
            product=lupkynis,
            valid_from=LUPKYNIS_PRICE["valid_from"],
            defaults=LUPKYNIS_PRICE,
        )
    if aurinia is not None:
        apps.get_model("billing", "FreightRate").objects.update_or_create(
            supplier=aurinia, valid_from=AURINIA_FREIGHT["valid_from"], defaults=AURINIA_FREIGHT
        )

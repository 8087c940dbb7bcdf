"""Quotations and invoices, read only, with the pages' rule: coordinators read all of
it; the payer's side (billing.access.reads_money) reads the payer's lines and totals,
never the supplier's cost prices, freight or insurance."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.access import case_for, people_only
from api.views.base import ApiView
from api.views.cases import PROBLEM, REFERENCE
from billing.access import reads_money
from billing.models import Invoice, Quotation
from billing.selectors import payer_lines
from npp.accounts.models import Role
from orders.money import QuotationStatus

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


class QuotationLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    rate = serializers.DecimalField(max_digits=7, decimal_places=3, allow_null=True)
    hsn_sac = serializers.CharField()
    in_total = serializers.BooleanField()
    internal = serializers.SerializerMethodField(
        help_text="A line for the import team only (supplier's price, freight, insurance)."
    )

    def get_internal(self, line) -> bool:
        return line.audience != "payer"


# Read by coordinators only: what the service pays its supplier and how duty was built.
STAFF_ONLY = ("currency", "unit_price", "exchange_rate", "exchange_rate_date", "assessable_value")


class QuotationSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuotationStatus.choices)
    quoted_on = serializers.DateField()
    valid_until = serializers.DateField()
    packs = serializers.IntegerField()
    exemption = serializers.CharField()
    basic_duty = serializers.DecimalField(**MONEY)
    surcharge = serializers.DecimalField(**MONEY)
    igst = serializers.DecimalField(**MONEY)
    goods_charged = serializers.DecimalField(**MONEY)
    service_fee = serializers.DecimalField(**MONEY)
    service_tax = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    accepted_at = serializers.DateTimeField(allow_null=True)
    payment_due_on = serializers.DateField(allow_null=True)
    waived = serializers.BooleanField()
    currency = serializers.CharField(allow_null=True)
    unit_price = serializers.DecimalField(**MONEY, allow_null=True)
    exchange_rate = serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=True, allow_null=True
    )
    exchange_rate_date = serializers.DateField(allow_null=True)
    assessable_value = serializers.DecimalField(**MONEY, allow_null=True)
    lines = serializers.SerializerMethodField()

    def get_lines(self, quotation) -> QuotationLineSerializer(many=True):  # type: ignore[valid-type]
        lines = (
            quotation.lines.order_by("position")
            if self.context["staff"]
            else payer_lines(quotation)
        )
        return QuotationLineSerializer(lines, many=True).data

    def to_representation(self, quotation):
        data = super().to_representation(quotation)
        if not self.context["staff"]:
            for name in STAFF_ONLY:
                data[name] = None
        return data


class InvoiceLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    hsn_sac = serializers.CharField()
    rate = serializers.CharField()
    amount = serializers.CharField()
    taxable = serializers.BooleanField()
    tax = serializers.BooleanField()


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    issued_on = serializers.DateField()
    quotation_version = serializers.IntegerField(source="quotation.version")
    refers_to = serializers.CharField(source="refers_to.number", allow_null=True, default=None)
    place_of_supply = serializers.CharField()
    recipient = serializers.JSONField()
    lines = InvoiceLineSerializer(many=True)
    taxable_value = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


def _money_case(request, reference: str):
    case = case_for(request.user, reference)
    people_only(request.user)
    staff = request.user.role == Role.COORDINATOR
    if not staff and not reads_money(case, request.user):
        raise PermissionDenied("The case's money is for the import team and its payer.")
    return case, staff


class CaseQuotations(ApiView):
    @extend_schema(
        operation_id="quotations_list",
        summary="The case's quotations, newest first (payers read their lines only)",
        parameters=[REFERENCE],
        responses={200: QuotationSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case, staff = _money_case(request, reference)
        quotations = Quotation.objects.filter(case=case).order_by("-version")
        if not staff:
            quotations = quotations.exclude(status=QuotationStatus.SUPERSEDED)
        return Response(QuotationSerializer(quotations, many=True, context={"staff": staff}).data)


class CaseInvoices(ApiView):
    @extend_schema(
        operation_id="invoices_list",
        summary="The case's tax invoice and credit notes",
        parameters=[REFERENCE],
        responses={200: InvoiceSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request, reference: str):
        case, _ = _money_case(request, reference)
        invoices = (
            Invoice.objects.filter(case=case)
            .select_related("quotation", "refers_to")
            .order_by("issued_at", "pk")
        )
        return Response(InvoiceSerializer(invoices, many=True).data)

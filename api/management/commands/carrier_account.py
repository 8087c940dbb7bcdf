"""manage.py carrier_account NAME --courier "DHL Express" [--supplier ID] [--days 365]

Make a courier's or supplier's service account and print its API token (once). It
reads and reports milestones only on the cases whose shipment it carries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from api.models import CarrierAccount
from npp.accounts.models import Role, TokenScope, User
from npp.accounts.tokens import token_create
from orders.models import Supplier


class Command(BaseCommand):
    help = "Make a courier's or supplier's service account and print its API token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--courier", default="", help="The courier's name as dispatched.")
        parser.add_argument("--supplier", type=int, help="The supplier's id.")
        parser.add_argument("--days", type=int, default=365, help="Token lifetime.")

    def handle(self, *args, name: str, courier: str, supplier: int | None, days: int, **opts):
        if not courier and supplier is None:
            raise CommandError("Name the --courier it is, or the --supplier (id).")
        supplier_row = None
        if supplier is not None:
            supplier_row = Supplier.objects.filter(pk=supplier).first()
            if supplier_row is None:
                raise CommandError(f"No supplier {supplier}.")
        with transaction.atomic():
            user = User.objects.create_user(
                f"{slugify(name) or 'carrier'}@carriers.npp.invalid",
                None,
                full_name=name,
                role=Role.SYSTEM,
            )
            CarrierAccount.objects.create(
                user=user, name=name, courier=courier, supplier=supplier_row
            )
            issued = token_create(
                user=user,
                name=f"{name} service account",
                scopes=[TokenScope.READ, TokenScope.WRITE],
                expires_in_days=days,
                second_factor_passed=True,
            )
        self.stdout.write(issued.secret)

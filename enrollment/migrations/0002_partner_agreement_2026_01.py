"""The first Partner Agreement version, so every environment has a current one."""

import datetime

from django.db import migrations

BODY = """PARTNER AGREEMENT (version 2026-01)

1. Parties. This agreement is between the programme operator of the Cloud Solution Provider
(CSP) programme and the partner organization accepting it.

2. Authorization. The partner may resell cloud services to customers in the markets of its CSP
region, through an indirect provider authorized in that region.

3. Customer relationships. The partner obtains each customer's authorization before it manages
the customer's services, and keeps the customer's information confidential.

4. Compliance. The partner complies with applicable laws, including anti-corruption, export
control and data protection laws, and keeps its legal business profile accurate.

5. Term. The agreement applies from its acceptance until it is replaced by a new version or
either party ends the partner's participation in the programme.
"""


def create(apps, schema_editor):
    AgreementVersion = apps.get_model("enrollment", "AgreementVersion")
    AgreementVersion.objects.get_or_create(
        version="2026-01",
        defaults={
            "title": "Partner Agreement",
            "body": BODY,
            "published_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        },
    )


def remove(apps, schema_editor):
    AgreementVersion = apps.get_model("enrollment", "AgreementVersion")
    AgreementVersion.objects.filter(version="2026-01", acceptances__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]

"""CSP regions and markets (Partner Center's regional authorization overview, 2023) and the
starting list of consumer web-mail domains. Both stay editable in the operator admin."""

import json
from pathlib import Path

from django.core.management.color import no_style
from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "csp_regions.json"

CONSUMER_DOMAINS = [
    "gmail.com", "googlemail.com", "yahoo.*", "ymail.com", "rocketmail.com", "icloud.com",
    "me.com", "mac.com", "aol.com", "aim.com", "outlook.*", "hotmail.*", "live.*", "msn.com",
    "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "proton.me", "protonmail.com",
    "yandex.com", "yandex.ru", "zoho.com", "zohomail.com", "qq.com", "163.com", "libero.it",
    "virgilio.it", "tiscali.it", "alice.it", "tin.it",
]


def load(apps, schema_editor):
    Region = apps.get_model("portal", "Region")
    Market = apps.get_model("portal", "Market")
    ConsumerEmailDomain = apps.get_model("portal", "ConsumerEmailDomain")
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for row in rows:
        if row["model"] == "portal.region":
            Region.objects.update_or_create(pk=row["pk"], defaults=row["fields"])
    for row in rows:
        if row["model"] == "portal.market":
            fields = dict(row["fields"])
            fields["region_id"] = fields.pop("region")
            Market.objects.update_or_create(code=row["pk"], defaults=fields)
    for pattern in CONSUMER_DOMAINS:
        ConsumerEmailDomain.objects.get_or_create(pattern=pattern)
    # Explicit primary keys leave PostgreSQL's sequence behind; move it past them.
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Region]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

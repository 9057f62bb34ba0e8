from decimal import Decimal

from django.db import migrations, models
from django.db.models import F


def copy_catalogue_price(apps, schema_editor):
    """Existing rows were sold at one price to every tier: the catalogue price."""
    for name in ("Subscription", "Order"):
        model = apps.get_model("commerce", name)
        model.objects.update(reseller_price=F("unit_price"), customer_price=F("unit_price"))


def fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="reseller_price",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=12,
                verbose_name="reseller price per unit per month",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name=model_name,
            name="customer_price",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=12,
                verbose_name="customer price per unit per month",
            ),
            preserve_default=False,
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("commerce", "0003_lists")]

    operations = [
        *fields("subscription"),
        *fields("order"),
        migrations.RunPython(copy_catalogue_price, migrations.RunPython.noop, elidable=True),
    ]

"""The seeded catalogue (commerce/catalogue.py): a dozen offers priced in every market currency,
so every database (tests, demo, production) can take orders from the start."""

from django.db import migrations


def seed(apps, schema_editor):
    from commerce.catalogue import catalogue_seed

    catalogue_seed(
        offer_model=apps.get_model("commerce", "Offer"),
        price_model=apps.get_model("commerce", "OfferPrice"),
        market_model=apps.get_model("portal", "Market"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0001_initial"),
        ("portal", "0002_reference_data"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

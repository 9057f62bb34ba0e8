"""The Italian text of Partner Agreement 2026-01, so Italian partners read what they accept."""

from django.db import migrations

TITLE = "Contratto per i partner"

BODY = """CONTRATTO PER I PARTNER (versione 2026-01)

1. Parti. Il presente contratto è stipulato tra l'operatore del programma Cloud Solution Provider
(CSP) e l'organizzazione partner che lo accetta.

2. Autorizzazione. Il partner può rivendere servizi cloud ai clienti nei mercati della propria
area CSP, tramite un provider indiretto autorizzato in tale area.

3. Rapporti con i clienti. Il partner ottiene l'autorizzazione di ciascun cliente prima di
gestirne i servizi e mantiene riservate le informazioni del cliente.

4. Conformità. Il partner rispetta le leggi applicabili, comprese quelle in materia di
anticorruzione, controllo delle esportazioni e protezione dei dati, e mantiene aggiornato il
proprio profilo aziendale legale.

5. Durata. Il contratto si applica dalla sua accettazione finché non è sostituito da una nuova
versione o finché una delle parti non pone fine alla partecipazione del partner al programma.
"""


def create(apps, schema_editor):
    AgreementVersion = apps.get_model("enrollment", "AgreementVersion")
    AgreementTranslation = apps.get_model("enrollment", "AgreementTranslation")
    version = AgreementVersion.objects.filter(version="2026-01").first()
    if version is not None:
        AgreementTranslation.objects.get_or_create(
            version=version, language="it", defaults={"title": TITLE, "body": BODY}
        )


def remove(apps, schema_editor):
    AgreementTranslation = apps.get_model("enrollment", "AgreementTranslation")
    AgreementTranslation.objects.filter(version__version="2026-01", language="it").delete()


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0003_agreement_translation")]

    operations = [migrations.RunPython(create, remove)]

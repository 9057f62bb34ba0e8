"""Bulk invitations: upload, review, confirm, progress, results; the same file twice sends
nothing twice."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import OutboxMessage
from relationships.models import (
    BulkInvitationBatch,
    CustomerInvitation,
    InvitationStatus,
    ResellerInvitation,
)
from tests.factories import member
from tests.relationships.factories import (
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db

FILE = (
    "email,partner_id\n"
    "one@alpha.example,1110001\n"
    "two@beta.example,\n"
    "broken-address,\n"
    "=cmd@gamma.example,\n"
    "one@alpha.example,\n"
)


def upload(client, text: str = FILE, name: str = "resellers.csv", **data):
    return client.post(
        "/bulk-invitations/",
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"), **data},
    )


def confirm(client, batch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/bulk-invitations/{batch.pk}/")


@pytest.fixture
def provider_admin():
    return member(provider_org(), global_admin=True)


def test_the_upload_page_has_a_labelled_file_input_and_the_template(client_for, provider_admin):
    client = client_for(provider_admin)
    page = client.get("/bulk-invitations/").text
    assert '<label class="form-label" for="id_file">CSV file' in page
    template = client.get("/bulk-invitations/template.csv")
    assert template.content.decode().splitlines()[0] == "email,partner_id"


def test_the_review_lists_row_errors_and_nothing_is_sent_before_confirming(
    client_for, provider_admin
):
    client = client_for(provider_admin)
    response = upload(client)
    batch = BulkInvitationBatch.objects.get()
    assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    review = client.get(response["Location"]).text
    assert "2 rows have an error and will not be sent" in review
    assert "Send 3 invitations" in review
    assert "not a valid email address" in review
    assert "already on row 2" in review
    assert not ResellerInvitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_largest_file_5000_rows_is_checked_and_reviewed_before_anything_is_sent(
    client_for, provider_admin
):
    client = client_for(provider_admin)
    lines = ["email,partner_id"]
    for index in range(5000):
        bad = index % 100 == 7
        lines.append(f"not-an-address-{index}," if bad else f"a{index}@r{index}.example,")
    response = upload(client, "\ufeff" + "\r\n".join(lines) + "\r\n")
    batch = BulkInvitationBatch.objects.get()
    assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    review = client.get(response["Location"]).text
    assert "50 rows have an error and will not be sent" in review
    assert "Send 4950 invitations" in review
    assert not ResellerInvitation.objects.exists()


def test_a_file_level_problem_is_shown_beside_the_file_input_and_in_the_summary(
    client_for, provider_admin
):
    response = upload(client_for(provider_admin), "address\nx@y.example\n")
    assert response.status_code == 400
    assert 'id="error-summary"' in response.text
    assert "no column email" in response.text
    assert not BulkInvitationBatch.objects.exists()


def test_a_nul_in_a_cell_is_a_400_naming_its_row_and_nothing_is_stored(client_for, provider_admin):
    client = client_for(provider_admin)
    response = upload(client, "email\nfine@b.example\nbo\x00ss@a.example\n")
    assert response.status_code == 400
    assert "Row 3: The row contains a NUL character" in response.text
    assert 'id="error-summary"' in response.text
    assert not BulkInvitationBatch.objects.exists()
    assert not ResellerInvitation.objects.exists()


def test_a_nul_in_the_header_is_a_400_naming_line_1(client_for, provider_admin):
    response = upload(client_for(provider_admin), "em\x00ail\nboss@a.example\n")
    assert response.status_code == 400
    assert "Line 1 of the file" in response.text
    assert not BulkInvitationBatch.objects.exists()


def test_an_italian_excel_csv_in_windows_1252_is_read_and_the_review_says_how(
    client_for, provider_admin
):
    data = "email;partner_id\r\nrené@società.example;1110001\r\n".encode("cp1252")
    client = client_for(provider_admin)
    response = client.post("/bulk-invitations/", {"file": SimpleUploadedFile("r.csv", data)})
    assert response.status_code == 302
    review = client.get(response["Location"]).text
    assert "Read as: Windows-1252, semicolon-separated." in review
    assert "rené@società.example" in review  # the first rows, as read


def test_a_workbook_instead_of_a_csv_is_a_400_saying_how_to_save_it(client_for, provider_admin):
    response = client_for(provider_admin).post(
        "/bulk-invitations/",
        {"file": SimpleUploadedFile("r.xlsx", b"PK\x03\x04" + b"\x00" * 60)},
    )
    assert response.status_code == 400
    assert "CSV UTF-8" in response.text


@pytest.mark.parametrize(
    "disposition",
    [
        b'filename="bo\x00ss.csv"',  # a NUL
        b'filename="bad-\xed\xa0\x80.csv"',  # a lone surrogate, encoded
        b'filename="caf\xe9.csv"',  # Latin-1
        b"filename*=UTF-8''lone-%ED%A0%80.csv",  # RFC 2231, percent-encoded
    ],
)
def test_a_file_name_with_a_nul_or_bytes_not_in_utf8_is_stored_readable(
    client_for, provider_admin, disposition
):
    # The test client encodes a file name as UTF-8: the raw bytes a browser may send are
    # written by hand.
    boundary = b"portalboundary"
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="file"; ' + disposition + b"\r\n",
            b"Content-Type: text/csv\r\n\r\n",
            b"email\nboss@a.example\n\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )
    client = client_for(provider_admin)
    response = client.generic(
        "POST",
        "/bulk-invitations/",
        body,
        content_type=f"multipart/form-data; boundary={boundary.decode()}",
    )
    if b"\xed" in disposition or b"\xe9" in disposition:
        # Django's multipart parser drops a part whose header is not UTF-8: the form asks for
        # the file again (400), never a 500.
        assert response.status_code == 400
        assert 'id="error-summary"' in response.text
        assert not BulkInvitationBatch.objects.exists()
    else:
        assert response.status_code == 302  # the file is good: only its name was odd
        batch = BulkInvitationBatch.objects.get()
        batch.filename.encode()  # neither a NUL nor a lone surrogate was stored
        assert "\x00" not in batch.filename and batch.filename.endswith(".csv")
    assert client.get("/bulk-invitations/").status_code == 200


def test_confirming_sends_each_good_row_once_and_the_results_say_why_not(
    client_for, provider_admin, django_capture_on_commit_callbacks
):
    client = client_for(provider_admin)
    upload(client)
    batch = BulkInvitationBatch.objects.get()
    confirm(client, batch, django_capture_on_commit_callbacks)
    batch.refresh_from_db()
    assert (batch.status, batch.sent, batch.not_sent, batch.invalid_rows) == ("done", 3, 0, 2)
    assert ResellerInvitation.objects.filter(status=InvitationStatus.PENDING).count() == 3
    progress = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert "3 of 3 invitations processed" in progress
    assert 'hx-trigger="every 2s"' not in progress  # finished: polling stops
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/bulk-invitations/{batch.pk}/results.csv").getvalue().decode())
        )
    )
    assert rows[0][:2] == ["Row", "Email"]
    by_line = {row[0]: row for row in rows[1:]}
    assert by_line["5"][1] == "'=cmd@gamma.example"  # formula-safe cell
    assert by_line["4"][4].startswith("Not sent")


def test_the_same_file_uploaded_again_sends_nothing(
    client_for, provider_admin, django_capture_on_commit_callbacks
):
    client = client_for(provider_admin)
    upload(client)
    first = BulkInvitationBatch.objects.get()
    confirm(client, first, django_capture_on_commit_callbacks)
    response = upload(client, FILE.replace("\n", "\r\n"), name="again.csv")
    assert response["Location"] == f"/bulk-invitations/{first.pk}/"
    assert BulkInvitationBatch.objects.count() == 1
    assert ResellerInvitation.objects.count() == 3


def test_an_address_with_an_open_invitation_is_not_invited_again(
    client_for, provider_admin, django_capture_on_commit_callbacks
):
    ResellerInvitationFactory(organization=provider_admin.organization, email="two@beta.example")
    client = client_for(provider_admin)
    upload(client)
    batch = BulkInvitationBatch.objects.get()
    confirm(client, batch, django_capture_on_commit_callbacks)
    batch.refresh_from_db()
    assert (batch.sent, batch.not_sent) == (2, 1)
    assert ResellerInvitation.objects.filter(email="two@beta.example").count() == 1
    assert "is already pending" in client.get(f"/bulk-invitations/{batch.pk}/").text


def test_the_progress_page_polls_while_sending(client_for, provider_admin):
    client = client_for(provider_admin)
    upload(client)
    batch = BulkInvitationBatch.objects.get()
    BulkInvitationBatch.objects.filter(pk=batch.pk).update(status="running", processed=1)
    page = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert 'hx-trigger="every 2s"' in page
    assert 'aria-live="polite"' in page
    assert '<progress class="w-100" id="bulk-progress-bar" max="3" value="1"' in page
    fragment = client.get(f"/bulk-invitations/{batch.pk}/?fragment=progress").text
    assert fragment.lstrip().startswith('<div id="bulk-progress"')
    assert "<html" not in fragment


def test_a_reseller_invites_customers_for_one_of_its_providers(
    client_for, django_capture_on_commit_callbacks
):
    reseller = reseller_org()
    relationship = ProviderRelationshipFactory(reseller=reseller)
    client = client_for(member(reseller, global_admin=True))
    response = upload(
        client,
        "email,company_name\nit@cust-one.example,Cust One S.p.A.\n",
        provider=relationship.provider_id,
    )
    batch = BulkInvitationBatch.objects.get()
    assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    confirm(client, batch, django_capture_on_commit_callbacks)
    invitation = CustomerInvitation.objects.get()
    assert (invitation.provider_id, invitation.company_name) == (
        relationship.provider_id,
        "Cust One S.p.A.",
    )


def test_another_organizations_file_is_not_found(client_for, provider_admin):
    upload(client_for(provider_admin))
    batch = BulkInvitationBatch.objects.get()
    other = client_for(member(provider_org(), global_admin=True))
    for path in (f"/bulk-invitations/{batch.pk}/", f"/bulk-invitations/{batch.pk}/results.csv"):
        assert other.get(path).status_code == 404
    assert other.post(f"/bulk-invitations/{batch.pk}/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == "draft"


def test_a_helpdesk_agent_cannot_upload(client_for):
    provider = provider_org()
    client = client_for(member(provider, global_admin=False, helpdesk_agent=True))
    assert client.get("/bulk-invitations/").status_code == 403


def test_the_provider_select_of_a_customer_file_is_styled_like_every_select(client_for):
    relationship = ProviderRelationshipFactory()
    page = client_for(member(relationship.reseller, global_admin=True)).get("/bulk-invitations/")
    assert '<select name="provider" class="form-select"' in page.text

"""Checking an uploaded file before anything is sent."""

import pytest
from django.core.exceptions import ValidationError

from relationships.bulk_csv import MAX_ROWS, check_file, template_csv


def test_a_utf8_file_with_or_without_bom_reads_the_same_and_hashes_the_same():
    text = "email,partner_id\r\nadmin@a.example,123\r\n"
    plain = check_file(kind="reseller", data=text.encode())
    bom = check_file(kind="reseller", data=b"\xef\xbb\xbf" + text.replace("\r\n", "\n").encode())
    assert [(r.email, r.partner_id) for r in plain.rows] == [("admin@a.example", "123")]
    assert [(r.email, r.partner_id) for r in bom.rows] == [("admin@a.example", "123")]
    assert plain.content_hash == bom.content_hash


def test_a_file_not_in_utf8_is_refused_with_how_to_save_it():
    with pytest.raises(ValidationError, match="CSV UTF-8"):
        check_file(kind="reseller", data="email\nrené@café.example\n".encode("latin-1"))


@pytest.mark.parametrize("kind", ["reseller", "customer"])
def test_a_nul_in_a_cell_is_refused_with_its_line(kind):
    data = "email,company_name\nok@a.example,Acme\nit@b.example,Be\x00ta S.p.A.\n"
    with pytest.raises(ValidationError, match="Line 3 of the file contains a NUL character"):
        check_file(kind=kind, data=data.encode())


def test_a_missing_required_column_is_named():
    with pytest.raises(ValidationError, match="no column company_name"):
        check_file(kind="customer", data=b"email\nit@c.example\n")


def test_more_than_the_maximum_rows_is_refused():
    data = "email\n" + "".join(f"a{i}@x.example\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(ValidationError, match="more than 5,000 rows"):
        check_file(kind="reseller", data=data.encode())


def test_row_errors_carry_the_line_number_of_the_file():
    data = (
        "Email,PartnerID\n"  # header names are case- and space-insensitive
        "good@a.example,1000001\n"
        "not-an-address,1000002\n"
        "\n"
        "good@a.example,1000003\n"
        "other@b.example,12x\n"
    )
    checked = check_file(kind="reseller", data=data.replace("PartnerID", "partner id").encode())
    errors = {row.line: row.errors for row in checked.rows if row.errors}
    assert list(errors) == [3, 5, 6]
    assert "not a valid email address" in errors[3][0]
    assert "already on row 2" in errors[5][0]
    assert "PartnerID" in errors[6][0]


def test_the_template_passes_the_check():
    for kind in ("reseller", "customer"):
        checked = check_file(kind=kind, data=template_csv(kind).encode())
        assert checked.rows and not checked.invalid

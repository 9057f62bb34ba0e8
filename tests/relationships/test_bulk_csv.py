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
def test_a_nul_in_a_cell_refuses_the_file_naming_its_row(kind):
    data = "email,company_name\nok@a.example,Acme\nit@b.example,Be\x00ta S.p.A.\n"
    with pytest.raises(ValidationError) as refused:
        check_file(kind=kind, data=data.encode())
    assert refused.value.messages == [
        "Row 3: The row contains a NUL character (0x00), which a CSV file of addresses cannot hold."
    ]


def test_a_nul_in_a_column_the_template_does_not_name_is_caught_too():
    with pytest.raises(ValidationError, match="Row 2: The row contains a NUL"):
        check_file(kind="reseller", data=b"email\nok@a.example,x\x00y\n")


def test_bytes_not_in_utf8_in_some_rows_refuse_the_file_naming_each():
    # A lone surrogate (U+D800) encoded as CESU-8, and a stray Latin-1 byte: neither is UTF-8.
    data = (
        b"email,company_name\n"
        b"ok@a.example,Acme\n"
        b"it@b.example,Bad \xed\xa0\x80 S.p.A.\n"
        b"it@c.example,Caf\xe9\n"
    )
    with pytest.raises(ValidationError) as refused:
        check_file(kind="customer", data=data)
    assert [message[:6] for message in refused.value.messages] == ["Row 3:", "Row 4:"]
    assert all("not UTF-8" in message for message in refused.value.messages)
    "".join(refused.value.messages).encode()  # no lone surrogate in what is shown


def test_many_damaged_rows_are_named_up_to_ten():
    data = "email\n" + "".join(f"a{i}@x.example\x00\n" for i in range(15))
    with pytest.raises(ValidationError) as refused:
        check_file(kind="reseller", data=data.encode())
    assert len(refused.value.messages) == 11
    assert refused.value.messages[-1] == "5 more rows hold such characters."


def test_a_nul_in_the_header_refuses_the_file_naming_line_1():
    with pytest.raises(ValidationError, match="Line 1 of the file"):
        check_file(kind="reseller", data=b"em\x00ail\nok@a.example\n")


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

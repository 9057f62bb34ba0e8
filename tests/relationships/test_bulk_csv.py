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


def test_a_file_not_in_utf8_is_read_as_windows_1252():
    checked = check_file(kind="reseller", data="email\nrené@café.example\n".encode("cp1252"))
    assert (checked.encoding, checked.delimiter) == ("cp1252", ",")
    assert checked.rows[0].email == "rené@café.example"


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


def test_bytes_not_in_utf8_in_some_rows_of_a_utf8_file_refuse_the_file_naming_each():
    # A UTF-8 file (its accented letters are UTF-8) with a lone surrogate encoded as CESU-8 and
    # a stray Latin-1 byte in two rows: neither is UTF-8.
    data = (
        "email,company_name\nok@a.example,Società Nuova S.r.l.\nok2@a.example,Caffè\n".encode()
        + b"it@b.example,Bad \xed\xa0\x80 S.p.A.\n"
        + b"it@c.example,Caf\xe9\n"
    )
    with pytest.raises(ValidationError) as refused:
        check_file(kind="customer", data=data)
    assert [message[:6] for message in refused.value.messages] == ["Row 4:", "Row 5:"]
    assert all("not UTF-8 text" in message for message in refused.value.messages)
    "".join(refused.value.messages).encode()  # no lone surrogate in what is shown


def test_a_byte_windows_1252_leaves_undefined_refuses_its_row():
    data = "email,company_name\nit@a.example,Società\n".encode("cp1252") + b"it@b.example,x\x81y\n"
    with pytest.raises(ValidationError) as refused:
        check_file(kind="customer", data=data)
    assert refused.value.messages[0].startswith("Row 3: The row contains bytes that are not")
    assert "Windows-1252" in refused.value.messages[0]


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


def test_a_wrong_column_in_a_semicolon_file_names_only_the_missing_one_and_what_was_read():
    data = b"\xef\xbb\xbfEmail;Ragione sociale\r\nit@c.example;Societ\xc3\xa0 Nuova S.r.l.\r\n"
    with pytest.raises(ValidationError) as refused:
        check_file(kind="customer", data=data)
    assert refused.value.messages == [
        "The file has no column company_name. Its first line, read as UTF-8 with BOM, "
        "semicolon-separated, names “Email”, “Ragione sociale”; the template's columns are: "
        "email, company_name."
    ]


def test_a_file_without_a_header_says_its_first_line_is_an_address():
    with pytest.raises(ValidationError, match="holds an address, not the names of the columns"):
        check_file(kind="customer", data=b"it@c.example;Acme S.p.A.\r\n")


@pytest.mark.parametrize(
    "header",
    [
        "Email;Company Name",
        "\ufeffEMAIL ; company_name ",
        "E-mail;company-name",
        "email;COMPANY NAME",
    ],
)
def test_header_names_match_whatever_their_case_spaces_or_bom(header):
    data = f"{header}\r\nit@c.example;Acme S.p.A.\r\n".encode()
    checked = check_file(kind="customer", data=data)
    assert [(r.email, r.company_name) for r in checked.rows] == [("it@c.example", "Acme S.p.A.")]


ITALIAN = [["email", "company_name"], ["it@societanuova.example", "Società Nuova S.r.l."]]


def _excel(encoding: str, delimiter: str) -> bytes:
    text = "".join(delimiter.join(row) + "\r\n" for row in ITALIAN)
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    return (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + text.encode(
        "utf-8" if encoding == "utf-8-sig" else encoding
    )


def test_one_file_saved_in_any_excel_format_is_one_file():
    """The same rows in every encoding and delimiter read alike and hash alike: confirmed
    once, the file re-saved another way is recognised as already sent."""
    checked = [
        check_file(kind="customer", data=_excel(encoding, delimiter), salt="7")
        for encoding, delimiter in [
            ("cp1252", ","),
            ("cp1252", ";"),
            ("utf-8-sig", ";"),
            ("utf-16", "\t"),
        ]
    ]
    assert {(c.rows[0].email, c.rows[0].company_name) for c in checked} == {
        ("it@societanuova.example", "Società Nuova S.r.l.")
    }
    assert len({c.content_hash for c in checked}) == 1


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

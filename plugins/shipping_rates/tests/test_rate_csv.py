"""The CSV of ``shopwright shipping import``/``export``: what it accepts, and
every bad row refused with its line (no database)."""
from __future__ import annotations

import pytest

from shopwright_shipping_rates.rate_csv import HEADER, METHOD_COLUMNS, RateFileError, read_rates, write_rates
from shopwright_shipping_rates.rates import Band, RateTable

HEAD = ",".join(HEADER)
GOOD = f"""{HEAD}
Germany,DE AT,,standard,Standard,weight,,1000,4.90,EUR
Germany,DE AT,,standard,Standard,weight,1000,5000,6.90,EUR
Germany,DE AT,,express,Express,flat,,,14.90,EUR
Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,,50.00,9.90,EUR
Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,50.00,,0.00,EUR
Islands,DE,18565 25845-25849 1*,bulky,"Bulky, by van",items,1,3,20,EUR
"""


def test_reads_zones_methods_and_bands_in_file_order():
    table = read_rates(GOOD, "EUR")
    assert [z.name for z in table.zones] == ["Germany", "Islands"]
    germany, islands = table.zones
    assert germany.countries == {"DE", "AT"} and germany.postcodes == ()
    assert [str(p) for p in islands.postcodes] == ["18565", "25845-25849", "1*"]
    assert [(m.code, m.basis) for m in germany.methods] == [("standard", "weight"), ("express", "flat")]
    assert germany.methods[0].bands == (Band(None, 1000, 490), Band(1000, 5000, 690))
    assert islands.methods[0].bands == (Band(None, 5000, 990), Band(5000, None, 0))   # subtotal in minor units
    assert islands.methods[1].label == "Bulky, by van" and islands.methods[1].bands == (Band(1, 3, 2000),)


def test_written_csv_reads_back_to_the_same_table():
    table = read_rates(GOOD, "EUR")
    text = write_rates(table)
    assert read_rates(text, "EUR") == table
    assert text.splitlines()[0] == f"{HEAD},{','.join(METHOD_COLUMNS)}"
    assert text.splitlines()[1] == "Germany,AT DE,,standard,Standard,weight,,1000,4.90,EUR,,,,,,"
    assert text.splitlines()[-1] == 'Islands,DE,18565 25845-25849 1*,bulky,"Bulky, by van",items,1,3,20.00,EUR,,,,,,'


def test_currency_exponent_decides_decimals():
    table = read_rates(f"{HEAD}\nJapan,JP,,standard,Standard,subtotal,,5000,500,JPY\n", "JPY")
    assert table.zones[0].methods[0].bands == (Band(None, 5000, 500),)
    assert write_rates(table).splitlines()[1] == "Japan,JP,,standard,Standard,subtotal,,5000,500,JPY,,,,,,"
    with pytest.raises(RateFileError, match=r"line 2: price '4.5' has more than 0 decimals for JPY"):
        read_rates(f"{HEAD}\nJapan,JP,,standard,Standard,flat,,,4.5,JPY\n", "JPY")


def test_lenient_in_case_bom_and_blank_lines():
    table = read_rates(f"\ufeff{HEAD.upper()}\n\nde,de,,standard,Standard,FLAT,,,4.90,eur\n", "EUR")
    assert table.zones[0].countries == {"DE"} and table.zones[0].methods[0].basis == "flat"


ROW = "Germany,DE,,standard,Standard,weight,,1000,4.90,EUR"


@pytest.mark.parametrize("rows, message", [
    (["Germany,DX,,standard,Standard,flat,,,4.90,EUR"], "line 2: unknown country DX"),
    (["Germany,DE EU,,standard,Standard,flat,,,4.90,EUR"], "line 2: unknown country EU"),
    (["Germany,,,standard,Standard,flat,,,4.90,EUR"], "line 2: countries is empty"),
    (["Germany,DE,,standard,Standard,volume,,,4.90,EUR"], "line 2: basis 'volume' must be one of flat, weight"),
    (["Germany,DE,,standard,Standard,flat,,,4.9O,EUR"], "line 2: price '4.9O' is not a decimal amount"),
    (["Germany,DE,,standard,Standard,flat,,,4.905,EUR"], "line 2: price '4.905' has more than 2 decimals for EUR"),
    (["Germany,DE,,standard,Standard,flat,,,-1,EUR"], "line 2: price '-1' must be from 0"),
    (["Germany,DE,,standard,Standard,flat,,,NaN,EUR"], "line 2: price 'NaN' must be from 0"),
    (["Germany,DE,,standard,Standard,flat,,,1e12,EUR"], "line 2: price '1e12' must be from 0"),
    (["Germany,DE,,standard,Standard,flat,,,,EUR"], "line 2: price is empty"),
    (["Germany,DE,,standard,Standard,flat,,,4.90,USD"], "line 2: currency 'USD' is not the store's currency EUR"),
    (["Germany,DE,,standard,Standard,flat,,,4.90,"], "line 2: currency '' is not the store's currency EUR"),
    (["Germany,DE,,standard,Standard,weight,1000,500,4.90,EUR"], "line 2: min 1000 must be below max 500"),
    (["Germany,DE,,standard,Standard,weight,500,500,4.90,EUR"], "line 2: min 500 must be below max 500"),
    (["Germany,DE,,standard,Standard,subtotal,50.00,20,4.90,EUR"], "line 2: min 50.00 must be below max 20"),
    (["Germany,DE,,standard,Standard,weight,1.5,,4.90,EUR"], "line 2: min '1.5' must be a whole number of grams"),
    (["Germany,DE,,standard,Standard,items,-1,,4.90,EUR"], "line 2: min '-1' must be a whole number of items"),
    (["Germany,DE,,standard,Standard,subtotal,,5.001,4.90,EUR"], "line 2: max '5.001' has more than 2 decimals"),
    (["Germany,DE,,standard,Standard,flat,1,,4.90,EUR"], "line 2: min must be empty for basis flat"),
    (["Germany,DE,1-22,standard,Standard,flat,,,4.90,EUR"], "line 2: postcode range '1-22'"),
    (["Germany,DE,,Standard Rate,Standard,flat,,,4.90,EUR"], "line 2: method 'Standard Rate' must be"),
    (["Germany,DE,,standard,,flat,,,4.90,EUR"], "line 2: label must be 1 to 200 characters"),
    ([",DE,,standard,Standard,flat,,,4.90,EUR"], "line 2: zone must be a name"),
    (["Germany,DE,,standard,Standard,flat,,,4.90"], "line 2: 9 columns, expected 10"),
    ([ROW, "Germany,DE,,standard,Standard,weight,500,2000,5.90,EUR"],
     "line 3: the band of method 'standard' in zone 'Germany' overlaps the band on line 2"),
    (["Germany,DE,,standard,Standard,weight,1000,,5.90,EUR", ROW, "Germany,DE,,standard,Standard,weight,2000,3000,1,EUR"],
     "line 4: the band of method 'standard' in zone 'Germany' overlaps the band on line 2"),
    ([ROW, "Germany,DE,,standard,Standard,weight,,,5.90,EUR"],
     "line 3: the band of method 'standard' in zone 'Germany' overlaps the band on line 2"),
    ([ROW, "Germany,DE,,standard,Standard,subtotal,1000,,5.90,EUR"],
     "line 3: method 'standard' in zone 'Germany' has basis 'subtotal', but 'weight' on line 2"),
    ([ROW, "Germany,DE,,standard,Other label,weight,1000,,5.90,EUR"],
     "line 3: method 'standard' in zone 'Germany' has label 'Other label', but 'Standard' on line 2"),
    (["Germany,DE,,express,Express,flat,,,9.90,EUR", "Germany,DE,,express,Express,flat,,,8.90,EUR"],
     "line 3: method 'express' in zone 'Germany' is flat and already has its price on line 2"),
    ([ROW, "Germany,DE AT,,express,Express,flat,,,9.90,EUR"],
     "line 3: zone 'Germany' lists other countries or postcodes than on line 2"),
    ([ROW, "Europe,AT DE,,standard,Standard,flat,,,9.90,EUR"],
     "line 3: zones 'Germany' (line 2) and 'Europe' both cover DE with the whole country"),
    (["North,DE,2*,standard,Standard,flat,,,4.90,EUR", "South,DE,8* 2*,standard,Standard,flat,,,9.90,EUR"],
     "line 3: zones 'North' (line 2) and 'South' both cover DE with postcodes 2*"),
])
def test_bad_rows_are_refused_with_their_line(rows, message):
    with pytest.raises(RateFileError) as info:
        read_rates("\n".join([HEAD, *rows]) + "\n", "EUR")
    assert any(error.startswith(message) for error in info.value.errors), info.value.errors


def test_every_problem_is_listed_in_line_order():
    text = "\n".join([HEAD, "A,XX,,standard,S,flat,,,4.90,EUR", ROW, "B,DE,1*,x,X,weight,9,3,4.90,USD"]) + "\n"
    with pytest.raises(RateFileError) as info:
        read_rates(text, "EUR")
    assert [e.split(":")[0] for e in info.value.errors] == ["line 2", "line 4"]
    assert "currency 'USD'" in info.value.errors[1] and "min 9 must be below max 3" in info.value.errors[1]


@pytest.mark.parametrize("text, message", [
    ("", "line 1: the header must be"),
    ("zone,countries,method,label,basis,min,max,price,currency\n", "line 1: the header must be"),
])
def test_header_and_empty_file(text, message):
    with pytest.raises(RateFileError, match=message):
        read_rates(text, "EUR")


def test_the_header_alone_is_the_empty_table():
    assert read_rates(HEAD + "\n", "EUR") == RateTable()
    assert write_rates(RateTable()) == f"{HEAD},{','.join(METHOD_COLUMNS)}\n"


EXTRA_HEAD = f"{HEAD},{','.join(METHOD_COLUMNS)}"


@pytest.mark.parametrize("cells, expected", [
    (",,,,,", dict(handling_fee=0, min_order=None, max_order=None, min_days=None, max_days=None, tax_class="")),
    ("1.50,,,,,", dict(handling_fee=150)),
    ("0.00,,,,,", dict(handling_fee=0)),
    (",20.00,,,,", dict(min_order=2000, max_order=None)),
    (",,500.00,,,", dict(min_order=None, max_order=50000)),
    (",20,500.5,,,", dict(min_order=2000, max_order=50050)),
    (",,,2,4,", dict(min_days=2, max_days=4)),
    (",,,3,3,", dict(min_days=3, max_days=3)),
    (",,,0,,", dict(min_days=0, max_days=None)),
    (",,,,,reduced", dict(tax_class="reduced")),
    (",,,,,Zero-Rated_2", dict(tax_class="Zero-Rated_2")),
])
def test_optional_method_columns(cells, expected):
    method = read_rates(f"{EXTRA_HEAD}\nDE,DE,,std,Std,flat,,,4.90,EUR,{cells}\n", "EUR").zones[0].methods[0]
    for name, value in expected.items():
        assert getattr(method, name) == value, name


@pytest.mark.parametrize("cells, message", [
    ("-1,,,,,", "handling_fee '-1' must be from 0"),
    ("1.505,,,,,", "handling_fee '1.505' has more than 2 decimals for EUR"),
    ("abc,,,,,", "handling_fee 'abc' is not a decimal amount"),
    (",50.00,50.00,,,", "min_order 50.00 must be below max_order 50.00"),
    (",60,50,,,", "min_order 60 must be below max_order 50"),
    (",,,5,2,", "min_days 5 must be at most max_days 2"),
    (",,,1.5,,", "min_days '1.5' must be a whole number of business days"),
    (",,,,366,", "max_days '366' must be a whole number of business days (0 to 365)"),
    (",,,,,reduced rate", "tax_class 'reduced rate' must be 1 to 50 letters"),
    (",,,,,DE:reduced", "tax_class 'DE:reduced' must be 1 to 50 letters"),
])
def test_bad_optional_method_columns(cells, message):
    with pytest.raises(RateFileError, match=r"line 2: .*" + message.replace(".", r"\.").replace("(", r"\(")
                       .replace(")", r"\)")):
        read_rates(f"{EXTRA_HEAD}\nDE,DE,,std,Std,flat,,,4.90,EUR,{cells}\n", "EUR")


def test_optional_columns_in_any_order_or_only_some():
    text = f"{HEAD},tax_class,max_days,min_days\nDE,DE,,std,Std,flat,,,4.90,EUR,reduced,5,2\n"
    method = read_rates(text, "EUR").zones[0].methods[0]
    assert (method.tax_class, method.estimated_days, method.handling_fee) == ("reduced", (2, 5), 0)


@pytest.mark.parametrize("header, message", [
    (f"{HEAD},insurance", "line 1: unknown column\\(s\\) insurance"),
    (f"{HEAD},min_days,min_days", "line 1: column\\(s\\) min_days given twice"),
])
def test_bad_optional_headers(header, message):
    with pytest.raises(RateFileError, match=message):
        read_rates(f"{header}\nDE,DE,,std,Std,flat,,,4.90,EUR,1,1\n", "EUR")


def test_every_row_of_a_method_repeats_its_optional_fields():
    text = f"{EXTRA_HEAD}\nDE,DE,,std,Std,weight,,1000,4.90,EUR,1.00,,,,,\nDE,DE,,std,Std,weight,1000,,6.90,EUR,2.00,,,,,\n"
    with pytest.raises(RateFileError, match="line 3: method 'std' in zone 'DE' has another handling_fee than on line 2"):
        read_rates(text, "EUR")


def test_rows_with_the_wrong_number_of_columns_for_the_header():
    with pytest.raises(RateFileError, match="line 2: 10 columns, expected 16"):
        read_rates(f"{EXTRA_HEAD}\nDE,DE,,std,Std,flat,,,4.90,EUR\n", "EUR")

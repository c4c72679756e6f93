"""``shopwright shipping import FILE`` / ``export FILE`` in a real
``shopwright`` process against the test shop (SQLite and PostgreSQL)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.rate_csv import HEADER, METHOD_COLUMNS
from shopwright_shipping_rates.store import load_rates

HEAD = ",".join(HEADER)
#: the contract header alone: what files written before the optional columns look like
OLD_RATES = "\n".join([
    HEAD,
    "Germany,AT DE,,standard,Standard,weight,,1000,4.90,EUR",
    "Germany,AT DE,,standard,Standard,weight,1000,5000,6.90,EUR",
    "Germany,AT DE,,express,Express,flat,,,14.90,EUR",
    "Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,,50.00,9.90,EUR",
    "Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,50.00,,0.00,EUR",
    'Islands,DE,18565 25845-25849 1*,bulky,"Bulky, by van",items,1,3,20.00,EUR',
]) + "\n"
RATES = "\n".join([
    f"{HEAD},{','.join(METHOD_COLUMNS)}",
    "Germany,AT DE,,standard,Standard,weight,,1000,4.90,EUR,,,,2,4,",
    "Germany,AT DE,,standard,Standard,weight,1000,5000,6.90,EUR,,,,2,4,",
    "Germany,AT DE,,express,Express,flat,,,14.90,EUR,1.50,20.00,500.00,1,1,reduced",
    "Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,,50.00,9.90,EUR,,,,3,6,",
    "Islands,DE,18565 25845-25849 1*,standard,Island ferry,subtotal,50.00,,0.00,EUR,,,,3,6,",
    'Islands,DE,18565 25845-25849 1*,bulky,"Bulky, by van",items,1,3,20.00,EUR,,,,,,',
]) + "\n"


def _shopwright(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHOPWRIGHT_DATABASE_URL": database_url, "SHOPWRIGHT_CONFIG": os.devnull,
           "SHOPWRIGHT_SECRET_KEY": "shipping-cli-test-secret-0123456789", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


async def test_import_then_export_round_trip(make_runtime, database_url, tmp_path: Path):
    await make_runtime(plugins=[plugin], database_url=database_url)
    source, copy = tmp_path / "rates.csv", tmp_path / "copy.csv"
    source.write_text(RATES, encoding="utf-8")

    imported = _shopwright(database_url, "shipping", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "imported 2 zone(s), 4 method(s), 6 band(s)"
    assert [zone.name for zone in (await load_rates()).zones] == ["Germany", "Islands"]

    exported = _shopwright(database_url, "shipping", "export", str(copy))
    assert exported.returncode == 0, exported.stderr
    assert copy.read_text(encoding="utf-8") == RATES
    assert _shopwright(database_url, "shipping", "export", "-").stdout == RATES
    express = (await load_rates()).zones[0].methods[1]
    assert (express.handling_fee, express.min_order, express.max_order, express.estimated_days,
            express.tax_class) == (150, 2000, 50000, (1, 1), "reduced")


async def test_a_file_without_the_optional_columns_still_imports(make_runtime, database_url, tmp_path: Path):
    await make_runtime(plugins=[plugin], database_url=database_url)
    assert _shopwright(database_url, "shipping", "import", "-", stdin=OLD_RATES).returncode == 0
    exported = _shopwright(database_url, "shipping", "export", "-").stdout.splitlines()
    # the export writes every optional column, empty for methods without them
    assert exported[0] == f"{HEAD},{','.join(METHOD_COLUMNS)}"
    assert exported[1:] == [f"{line},,,,,," for line in OLD_RATES.splitlines()[1:]]


async def test_a_file_with_bad_rows_writes_nothing(make_runtime, database_url, tmp_path: Path):
    await make_runtime(plugins=[plugin], database_url=database_url)
    bad = tmp_path / "bad.csv"
    assert _shopwright(database_url, "shipping", "import", "-", stdin=RATES).returncode == 0   # '-': stdin
    before = await load_rates()

    bad.write_text("\n".join([
        HEAD,
        "Austria,AT,,standard,Standard,flat,,,7.00,EUR",        # fine, but the file has errors
        "Atlantis,AT XA,,standard,Standard,flat,,,7.00,EUR",
        "Austria,AT,,express,Express,speed,,,9.00,EUR",
        "Austria,AT,,heavy,Heavy,weight,,1000,4.90,EUR",
        "Austria,AT,,heavy,Heavy,weight,500,,5.90,EUR",
        "Austria,AT,,cheap,Cheap,flat,,,4.9.0,EUR",
        "Austria,AT,,dollar,Dollar,flat,,,4.90,USD",
        "Austria,AT,,inverted,Inverted,items,5,2,4.90,EUR",
    ]) + "\n", encoding="utf-8")
    refused = _shopwright(database_url, "shipping", "import", str(bad))
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert lines[0] == "error: nothing imported; 6 problem(s):"
    assert [line.split(":")[0] for line in lines[1:]] == ["line 3", "line 4", "line 6", "line 7", "line 8", "line 9"]
    assert "unknown country XA" in lines[1] and "basis 'speed'" in lines[2] and "overlaps" in lines[3]
    assert "price '4.9.0'" in lines[4] and "currency 'USD'" in lines[5] and "min 5 must be below max 2" in lines[6]
    assert await load_rates() == before


async def test_unreadable_files_are_refused_in_one_line(make_runtime, sqlite_url, tmp_path: Path):
    await make_runtime(plugins=[plugin], database_url=sqlite_url)
    binary = tmp_path / "rates.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe")
    refused = _shopwright(sqlite_url, "shipping", "import", str(binary))
    assert refused.returncode == 1 and refused.stderr.strip() == f"Error: {binary} is not UTF-8 text (byte 4)"
    missing = _shopwright(sqlite_url, "shipping", "import", str(tmp_path / "missing.csv"))
    assert missing.returncode == 1 and "missing.csv" in missing.stderr and "Traceback" not in missing.stderr

"""Money as integer minor units plus an ISO 4217 currency code.

Money is never a float. Amounts are ``int`` minor units (cents for EUR/USD,
yen for JPY); rates are ``decimal.Decimal``. Multiplying by a rate rounds
half-even (banker's rounding) to the currency's minor unit, which is the
documented rounding rule of the engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency

import pycountry

#: The largest amount (minor units) one price, one adjustment or one payment input
#: may have: 10^12, e.g. €10,000,000,000.00. Money columns are 64-bit (up to about
#: 9.2 × 10^18), so an order of many such lines still fits.
MAX_AMOUNT = 10**12

# ISO 4217 exponents that differ from 2; everything else has two decimals.
_EXPONENTS = {
    "BHD": 3, "CLP": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0,
    "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "TND": 3, "UGX": 0, "VND": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
}


#: ISO 4217 codes that name no money: "testing" and "no currency".
_NOT_MONEY = frozenset({"XTS", "XXX"})


def is_currency(code: object) -> bool:
    """Whether ``code`` is an upper-case ISO 4217 code of a currency (from
    pycountry's list; ``ABC`` is not one, nor ``XXX`` "no currency")."""
    return (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isupper()
            and code not in _NOT_MONEY and pycountry.currencies.get(alpha_3=code) is not None)


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (2 unless ISO says otherwise)."""
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units of ``currency``.

    Arithmetic between different currencies raises ``ValueError``; there is no
    implicit conversion.
    """

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money amount must be int minor units, got {self.amount!r}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an upper-case ISO 4217 code, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount multiplied by an integer quantity."""
        if not isinstance(quantity, int):
            raise TypeError("quantity must be an int")
        return Money(self.amount * quantity, self.currency)

    def apply_rate(self, rate: Decimal) -> Money:
        """``amount × rate``, rounded half-even to a whole minor unit."""
        if not isinstance(rate, Decimal):
            raise TypeError("rate must be a Decimal")
        value = (Decimal(self.amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return Money(int(value), self.currency)

    def as_decimal(self) -> Decimal:
        """The amount in major units, exactly (for display and provider APIs)."""
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def to_json(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}


@lru_cache(maxsize=32)
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code.replace("-", "_"))


@lru_cache(maxsize=8192)
def format_amount(amount: int, currency: str, locale: str = "en") -> str:
    """``amount`` minor units of ``currency`` as text a person reads in ``locale``
    (``1990, "EUR", "de"`` → ``"19,90 €"``), through Babel; exact (never a float)."""
    value = Decimal(int(amount)).scaleb(-currency_exponent(currency))
    return format_currency(value, currency, locale=_babel_locale(locale))

"""The currencies the plugin offers Razorpay for.

Razorpay takes amounts as integers in the currency's smallest sub-unit,
which for these is the ISO 4217 minor unit the shop keeps (two decimals, or
none for JPY). Left out: three-decimal currencies (KWD, BHD, OMR), whose
last digit Razorpay requires to be 0 — an order total like 12.345 KWD could
not be charged exactly.
"""
from __future__ import annotations

SUPPORTED: frozenset[str] = frozenset("""
AED ALL AMD ARS AUD AWG BBD BDT BMD BND BOB BSD BWP BZD CAD CHF CNY COP CRC CUP CZK DKK DOP DZD EGP ETB
EUR FJD GBP GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR JMD JPY KES KGS KHR KYD KZT LAK LBP LKR LRD
LSL MAD MDL MKD MMK MNT MOP MUR MVR MWK MXN MYR NAD NGN NIO NOK NPR NZD PEN PGK PHP PKR QAR RUB SAR SCR
SEK SGD SLL SOS SSP SVC SZL THB TTD TZS USD UYU UZS YER ZAR
""".split())

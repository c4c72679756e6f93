"""Request and response models of the cart, checkout and order API (they feed
``/openapi.json``). Amounts are integer minor units; a money value is
``{"amount", "currency"}``. The services do the semantic validation (stock,
countries, postcodes); these models fix the shapes."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.api.openapi import MAX_LINE_QUANTITY, SHOP_CURRENCY
from engine.money import MAX_AMOUNT

#: The most units one line or one input may name (the checkout's own limit is
#: ``checkout.max_line_quantity``, at most this).
MAX_QUANTITY = 1_000_000
#: Counts stored in 32-bit columns (usage limits).
MAX_COUNT = 2**31 - 1


class JSONIn(BaseModel):
    """A JSON request body, typed as documented: ``false`` is not the integer 0,
    ``"1"`` not 1, ``0`` not ``false`` (pydantic's strict mode), except that a
    whole number may be written ``792.0`` (an integer to JSON Schema)."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63
                    else value for key, value in data.items()}
        return data


class _In(JSONIn):
    model_config = ConfigDict(extra="ignore", strict=True)


class _Query(BaseModel):
    """A query string: every value arrives as text and is converted."""

    model_config = ConfigDict(extra="ignore")


class MoneyOut(BaseModel):
    amount: int
    currency: str


# ---------------------------------------------------------------- cart
class CartLineIn(_In):
    sku: str = Field(min_length=1, max_length=100, description="The variant's SKU.")
    quantity: int = Field(1, ge=1, le=MAX_QUANTITY, json_schema_extra=MAX_LINE_QUANTITY,
                          description="Units to add (added to the line when the SKU is already in the cart).")


class QuantityIn(_In):
    quantity: int = Field(ge=0, le=MAX_QUANTITY, json_schema_extra=MAX_LINE_QUANTITY,
                          description="The line's new quantity; 0 removes it.")


class PaymentMethodIn(_In):
    payment_method: str = Field(min_length=1, max_length=200,
                                description="An id from GET /api/v1/carts/<id>/payment-methods.")


class VoucherIn(_In):
    code: str = Field(min_length=1, max_length=64)


class CartLineOut(BaseModel):
    sku: str
    title: str
    product_slug: str
    options: dict[str, Any]
    quantity: int
    unit_price: MoneyOut
    subtotal: MoneyOut
    discount: MoneyOut
    total: MoneyOut
    quantity_available: int
    in_stock: bool


class AdjustmentOut(BaseModel):
    label: str
    amount: MoneyOut = Field(description="Negative for a discount.")
    source: str = Field(description="The plugin that made the adjustment.")
    code: Optional[str] = None
    sku: Optional[str] = Field(None, description="The line it applies to; ':shipping' for the shipping charge; "
                                                  "null for the whole order.")


class TaxLineOut(BaseModel):
    label: str
    rate: str
    amount: MoneyOut


class TotalsOut(BaseModel):
    subtotal: int
    discounts: int = Field(description="What the adjustments take off (total = subtotal - discounts + shipping "
                                       "+ tax unless tax_included).")
    shipping: int
    tax: int
    total: int
    currency: str
    tax_included: bool


class NoticeOut(BaseModel):
    kind: Literal["price_changed", "availability", "removed", "voucher"]
    message: str
    sku: Optional[str] = None
    code: Optional[str] = None


class CartOut(BaseModel):
    id: str = Field(description="The cart's id, which is also its secret.")
    currency: str
    lines: list[CartLineOut]
    item_count: int
    vouchers: list[str]
    adjustments: list[AdjustmentOut]
    tax_lines: list[TaxLineOut]
    totals: TotalsOut
    notices: list[NoticeOut]


class AddressQuery(_Query):
    country: Optional[str] = None
    region: Optional[str] = None
    postal_code: Optional[str] = None


class ShippingMethodOut(BaseModel):
    id: str
    label: str
    price: MoneyOut
    provider: str
    estimated_days: Optional[list[int]] = None
    expires_at: Optional[str] = Field(None, description="Until when the price holds; placing the order before then "
                                                        "does not ask the carrier again.")


class ShippingMethodsOut(BaseModel):
    items: list[ShippingMethodOut]
    unavailable: dict[str, str] = Field(description="Providers that failed or missed their deadline, and why.")


class PaymentMethodOut(BaseModel):
    id: str
    label: str
    plugin: str
    price: MoneyOut


class PaymentMethodsOut(BaseModel):
    items: list[PaymentMethodOut]


# ---------------------------------------------------------------- checkout
class AddressIn(_In):
    first_name: str
    last_name: str
    company: Optional[str] = None
    line1: str
    line2: Optional[str] = None
    city: str
    region: Optional[str] = Field(None, description="ISO 3166-2 subdivision (code or name) where relevant.")
    postal_code: str = ""
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. DE.")
    phone: Optional[str] = None


class CheckoutIn(_In):
    email: str
    shipping_address: AddressIn
    billing_address: Optional[AddressIn] = Field(None, description="Omitted: the same as the shipping address.")
    shipping_method: str = Field(description="An id from GET /api/v1/carts/<id>/shipping-methods.")
    payment_method: str = Field(description="An id from GET /api/v1/carts/<id>/payment-methods.")
    note: Optional[str] = None


class CheckoutHeaders(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=255,
                                 description="Required: a unique string per intended order (e.g. a UUID). A "
                                 "resubmission with the same key returns the first order.")


class AddressOut(BaseModel):
    first_name: str
    last_name: str
    company: Optional[str] = None
    line1: str
    line2: Optional[str] = None
    city: str
    region: Optional[str] = None
    postal_code: str
    country: str
    phone: Optional[str] = None


class OrderLineOut(BaseModel):
    sku: str
    title: str
    options: dict[str, Any]
    quantity: int
    unit_price: MoneyOut
    subtotal: MoneyOut
    discount: MoneyOut
    total: MoneyOut
    fulfilled_quantity: int


class PaymentOut(BaseModel):
    method: str
    status: str
    kind: Literal["none", "redirect", "client_secret"] = Field(
        description="What the client must do next: none, redirect (to url) or client_secret (provider fields).")
    reference: Optional[str] = None
    data: dict[str, Any] = Field(description="The gateway's data (instructions, url, client_secret, ...), also "
                                             "merged into this object.")
    error: Optional[str] = Field(None, description="Why starting the payment failed (submit again to retry).")
    flag: Optional[str] = Field(None, description="Why staff must look at this payment (an amount or currency "
                                                  "that does not match the order, a dispute), one reason a line.")


class OrderTotalsOut(TotalsOut):
    paid: int
    refunded: int


class ShippingChoiceOut(BaseModel):
    id: str
    label: str
    price: MoneyOut
    estimated_days: Optional[list[int]] = Field(None, description="The delivery estimate [min, max] in business "
                                                                    "days, when the method gave one.")


class ShipmentLineOut(BaseModel):
    sku: str
    quantity: int


class ShipmentOut(BaseModel):
    id: int
    lines: list[ShipmentLineOut]
    status: Literal["created", "shipped", "in_transit", "delivered", "returned"]
    carrier: Optional[str] = None
    service: Optional[str] = None
    tracking_number: Optional[str] = None
    tracking_url: Optional[str] = None
    shipped_at: Optional[str] = None


class RefundOut(BaseModel):
    amount: MoneyOut
    at: Optional[str] = None


class OrderOut(BaseModel):
    number: str
    status: Literal["pending_payment", "paid", "partially_fulfilled", "fulfilled", "completed", "cancelled",
                    "partially_refunded", "refunded"]
    access_token: Optional[str] = Field(None, description="Read the order with GET /api/v1/orders/<number>?token=.")
    email: str
    currency: str
    lines: list[OrderLineOut]
    adjustments: list[AdjustmentOut]
    tax_lines: list[TaxLineOut]
    totals: OrderTotalsOut
    shipping_address: AddressOut
    billing_address: AddressOut
    shipping_method: ShippingChoiceOut
    payment: PaymentOut
    placed_at: str
    shipments: list[ShipmentOut] = Field(default_factory=list)
    refunds: list[RefundOut] = Field(default_factory=list)


class OrderQuery(_Query):
    token: Optional[str] = None


# ---------------------------------------------------------------- admin
class OrderListQuery(_Query):
    status: Optional[str] = None
    email: Optional[str] = None
    cursor: Optional[str] = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=200)


class CustomerListQuery(_Query):
    q: str = Field("", max_length=200)
    cursor: Optional[str] = Field(None, max_length=512)
    limit: int = Field(50, ge=1, le=200)


class OrderSummaryOut(BaseModel):
    number: str
    status: str
    email: str
    total: MoneyOut
    item_count: int
    placed_at: str


class OrderListOut(BaseModel):
    items: list[OrderSummaryOut]
    next_cursor: Optional[str] = None


class NoteIn(_In):
    note: Optional[str] = Field(None, max_length=10_000)


class CancelIn(NoteIn):
    fraud: bool = Field(False, description="Staff judge the order fraudulent (recorded on its holds).")


class NoteRequiredIn(_In):
    note: str = Field(min_length=1, max_length=10_000, pattern=r"\S")


class CaptureIn(_In):
    amount: Optional[int] = Field(None, ge=1, le=MAX_AMOUNT,
                                  description="Minor units; omitted: everything authorized and not yet "
                                  "captured (less only where the gateway captures partially).")


class RefundIn(_In):
    amount: Optional[int] = Field(None, ge=1, le=MAX_AMOUNT,
                                  description="Minor units; omitted: everything not yet refunded.")
    note: Optional[str] = None


class FulfillmentLineIn(_In):
    sku: str
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


#: text on one line: no control characters
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"


class FulfillmentIn(_In):
    lines: Optional[list[FulfillmentLineIn]] = Field(None, description="Omitted: everything not yet shipped.")
    tracking_number: Optional[str] = Field(None, max_length=200, pattern=_ONE_LINE)
    carrier: Optional[str] = Field(None, max_length=200, pattern=_ONE_LINE)
    service: Optional[str] = Field(None, max_length=100, pattern=_ONE_LINE)
    tracking_url: Optional[str] = Field(None, max_length=500, pattern=r"^https?://[^\s\x00-\x1f/?#@\[\]:]+"
                                                                      r"(:[0-9]{1,5})?([/?#][^\s\x00-\x1f]*)?$",
                                        description="An http(s) address.")
    warehouse: Optional[str] = Field(None, max_length=50, description="A warehouse code; omitted: by the "
                                                                      "fulfillment.allocation rule.")
    status: Literal["created", "shipped"] = "shipped"


class ShipmentStatusIn(_In):
    status: Literal["created", "shipped", "in_transit", "delivered", "returned"]
    note: Optional[str] = Field(None, max_length=2000)


class PromotionIn(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["percentage", "fixed", "buy_x_get_y", "free_shipping"]
    value: str = Field("0", max_length=32, description="Percent (decimal string) or fixed minor units.")
    scope: Literal["order", "product", "category", "collection"] = "order"
    targets: list[str] = Field(default_factory=list, description="Product, category or collection slugs.")
    code: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                description="A voucher code; omitted: applies automatically.")
    buy_quantity: int = Field(0, ge=0, le=MAX_QUANTITY)
    get_quantity: int = Field(0, ge=0, le=MAX_QUANTITY)
    min_subtotal: int = Field(0, ge=0, le=MAX_AMOUNT, description="Minor units.")
    currency: Optional[str] = Field(None, json_schema_extra=SHOP_CURRENCY)
    starts_at: Optional[str] = Field(None, description="ISO 8601 date-time.")
    ends_at: Optional[str] = Field(None, description="ISO 8601 date-time.")
    usage_limit: Optional[int] = Field(None, ge=0, le=MAX_COUNT)
    per_customer_limit: Optional[int] = Field(None, ge=0, le=MAX_COUNT)
    exclusive: bool = False
    priority: int = Field(100, ge=-1_000_000, le=1_000_000)
    active: bool = True


class PromotionPatch(_In):
    """The fields of a promotion to change (the others keep their values)."""

    name: Optional[str] = Field(None, min_length=1, max_length=200)
    kind: Optional[Literal["percentage", "fixed", "buy_x_get_y", "free_shipping"]] = None
    value: Optional[str] = Field(None, max_length=32)
    scope: Optional[Literal["order", "product", "category", "collection"]] = None
    targets: Optional[list[str]] = None
    code: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    buy_quantity: Optional[int] = Field(None, ge=0, le=MAX_QUANTITY)
    get_quantity: Optional[int] = Field(None, ge=0, le=MAX_QUANTITY)
    min_subtotal: Optional[int] = Field(None, ge=0, le=MAX_AMOUNT)
    currency: Optional[str] = Field(None, json_schema_extra=SHOP_CURRENCY)
    starts_at: Optional[str] = None
    ends_at: Optional[str] = None
    usage_limit: Optional[int] = Field(None, ge=0, le=MAX_COUNT)
    per_customer_limit: Optional[int] = Field(None, ge=0, le=MAX_COUNT)
    exclusive: Optional[bool] = None
    priority: Optional[int] = Field(None, ge=-1_000_000, le=1_000_000)
    active: Optional[bool] = None


class TokenIn(_In):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1,
                              description="Scopes the caller holds itself, e.g. [\"catalog:read\"].")
    expires_days: Optional[int] = Field(None, ge=1, le=3650, description="Omitted: never expires.")

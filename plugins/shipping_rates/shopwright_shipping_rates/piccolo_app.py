"""The plugin's Piccolo app: its tables and migrations."""
from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from shopwright_shipping_rates.tables import ShippingBand, ShippingMethod, ShippingZone, ShippingZoneCountry

APP_CONFIG = AppConfig(
    app_name="shipping_rates",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ShippingZone, ShippingZoneCountry, ShippingMethod, ShippingBand],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)

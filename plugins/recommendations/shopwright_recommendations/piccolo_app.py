"""The plugin's Piccolo app: its tables and migrations."""
from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from shopwright_recommendations.tables import CategoryBestSellers, ProductRecommendations

APP_CONFIG = AppConfig(
    app_name="recommendations",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ProductRecommendations, CategoryBestSellers],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)

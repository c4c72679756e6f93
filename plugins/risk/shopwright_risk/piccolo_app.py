"""The plugin's Piccolo app: its tables and migrations."""
from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from shopwright_risk.tables import RiskAssessment, RiskModel

APP_CONFIG = AppConfig(
    app_name="risk",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[RiskAssessment, RiskModel],
    migration_dependencies=["engine.system.piccolo_app"],
    commands=[],
)

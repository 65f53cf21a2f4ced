from reports.db.models import Base
from reports.settings import ReportsSettings
from chassis.migrations import run_env

run_env(Base.metadata, ReportsSettings().db_url)

from cases.db.models import Base
from cases.settings import CasesSettings
from chassis.migrations import run_env

run_env(Base.metadata, CasesSettings().db_url)

from portal.db.models import Base
from portal.settings import PortalSettings
from chassis.migrations import run_env

run_env(Base.metadata, PortalSettings().db_url)

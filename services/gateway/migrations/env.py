from gateway.db.models import Base
from gateway.settings import GatewaySettings
from chassis.migrations import run_env

run_env(Base.metadata, GatewaySettings().db_url)

from mail_gateway.db.models import Base
from mail_gateway.settings import MailGatewaySettings
from chassis.migrations import run_env

run_env(Base.metadata, MailGatewaySettings().db_url)

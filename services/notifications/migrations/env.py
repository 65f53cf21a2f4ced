from notifications.db.models import Base
from notifications.settings import NotificationsSettings
from chassis.migrations import run_env

run_env(Base.metadata, NotificationsSettings().db_url)

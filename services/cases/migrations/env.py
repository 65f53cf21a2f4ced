from cases.settings import CasesSettings
from cases.tables import metadata
from chassis.migrations import run_env

run_env(metadata, CasesSettings().db_url)

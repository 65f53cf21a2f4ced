"""Every table of the cases service, registered in one metadata for Alembic and the schema tests.

Each capability declares its tables in its own `tables.py`; this module imports them all, explicitly, so
`metadata` is complete wherever it is used (`migrations/env.py`, `chassis.testing.schema_differences`).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from cases.attachments import tables as attachments
from cases.case import tables as case
from cases.common import tables as common
from cases.config import tables as config
from cases.directory import tables as directory
from cases.forms import tables as forms
from cases.links import tables as links
from cases.portal import tables as portal
from cases.search import tables as search
from cases.sla import tables as sla
from cases.tasks import tables as tasks
from cases.templates import tables as templates
from cases.time import tables as time

MODULES = (common, directory, config, case, tasks, time, templates, links, attachments, search, sla, forms, portal)

metadata: MetaData = common.Base.metadata

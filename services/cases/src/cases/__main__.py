from chassis.cli import main

main(
    "cases",
    {
        "worker": "cases.worker:main",
        "migrate": "cases.manage:migrate",
        "seed": "cases.manage:seed",
        "import": "cases.bulk.cli:import_command",  # bulk import (docs/import.md)
        "generate": "cases.bulk.cli:generate_command",  # synthetic cases
        "sla-recompute": "cases.sla.writes_backfill:command",  # SLA of imported/generated cases
    },
)

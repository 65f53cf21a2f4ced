from chassis.cli import main

main(
    "cases",
    {
        "worker": "cases.worker:main",
        "migrate": "cases.manage:migrate",
        "seed": "cases.manage:seed",
        "import": "cases.bulk.cli:import_command",  # issue 6: bulk import (docs/import.md)
        "generate": "cases.bulk.cli:generate_command",  # issue 6: synthetic cases
        "sla-recompute": "cases.sla.backfill:command",  # issue 6: SLA of imported/generated cases
    },
)

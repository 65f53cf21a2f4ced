from chassis.cli import main

main(
    "reports",
    {
        "worker": "reports.worker:main",
        "migrate": "reports.manage:migrate",
        "seed": "reports.manage:seed",
    },
)

from chassis.cli import main

main(
    "cases",
    {
        "worker": "cases.worker:main",
        "migrate": "cases.manage:migrate",
        "seed": "cases.manage:seed",
    },
)

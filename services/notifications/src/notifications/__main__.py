from chassis.cli import main

main(
    "notifications",
    {
        "worker": "notifications.worker:main",
        "migrate": "notifications.manage:migrate",
        "seed": "notifications.manage:seed",
    },
)

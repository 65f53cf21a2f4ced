from chassis.cli import main

main(
    "mail_gateway",
    {
        "worker": "mail_gateway.worker:main",
        "smtp": "mail_gateway.smtp:main",
        "migrate": "mail_gateway.manage:migrate",
        "seed": "mail_gateway.manage:seed",
    },
)

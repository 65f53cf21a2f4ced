from chassis.cli import main

main(
    "portal",
    {
        "web": "portal.app:main",
        "migrate": "portal.manage:migrate",
        "seed": "portal.manage:seed",
    },
)

from chassis.cli import main

main(
    "gateway",
    {
        "web": "gateway.app:main",
        "migrate": "gateway.manage:migrate",
        "seed": "gateway.manage:seed",
        "create-api-key": "gateway.manage:create_api_key",
    },
    eventlet_commands=(),
)

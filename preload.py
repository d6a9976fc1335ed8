def preload(parser):
    parser.add_argument(
        "--accelerator-offline",
        action="store_true",
        help="Accelerator: never contact the network; use only LoRA files that are already downloaded",
    )

import sys

from lib_accelerator.cli.main import main

sys.exit(main())

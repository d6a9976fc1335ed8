import sys

from lib_accelerator.cli import main

sys.exit(main())

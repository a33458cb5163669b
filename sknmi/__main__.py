import sys

from sknmi.cli import main

sys.exit(main())

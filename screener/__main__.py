"""`python -m screener`: the `screen` command."""

from screener.cli import main

if __name__ == "__main__":
    main()

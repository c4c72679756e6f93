"""``python -m engine.cli``: the same as the ``shopwright`` command."""
from engine.cli import main

if __name__ == "__main__":
    main()

"""`python -m terrinum.cli`: the same command as `terrinum`."""

from terrinum.cli import main

main()

"""``python -m mmntrial`` runs the command line."""

from mmntrial.cli.app import main

main()

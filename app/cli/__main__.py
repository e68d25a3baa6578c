"""`python -m app.cli`: the `postback-ledger` command where its script is not installed."""

from app.cli.main import main

raise SystemExit(main())

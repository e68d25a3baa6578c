"""`postback-ledger sites signing-secret SITE_ID`: the secret an advertiser's site signs with."""

from __future__ import annotations

from app.cli.output import add_json_option, print_json
from app.settings import Settings


def register(commands) -> None:
    sites = commands.add_parser(
        "sites", help="advertisers' sites", description="Advertisers' sites."
    ).add_subparsers(title="sites commands")
    secret = sites.add_parser(
        "signing-secret",
        help="print the secret a site signs its postbacks with (X-Signature)",
        description="Print the HMAC secret of a site whose catalog entry says "
        "require_signature = true. It is derived from LEDGER_SIGNING_KEY (or the key kept in "
        "LEDGER_DATA_DIR) and the site id, and stored nowhere: hand it to the advertiser.",
    )
    secret.add_argument("site_id", type=int, metavar="SITE_ID", help="the site's numeric id")
    add_json_option(secret)
    secret.set_defaults(handler=signing_secret)


def signing_secret(args) -> int:
    from app.postbacks.screening import ensure_signing_key
    from domain.signatures import site_signing_secret

    secret = site_signing_secret(ensure_signing_key(Settings.from_env()), args.site_id)
    if args.json:
        print_json({"site": args.site_id, "signing_secret": secret})
    else:
        print(secret)
    return 0

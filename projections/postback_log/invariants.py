"""The postback log's invariant, for `postback-ledger audit check`: exactly the stored postbacks,
up to the position the log has processed."""

from __future__ import annotations

from psycopg import sql

POSTBACK_TOPIC = "domain.postback:Postback.Received"


def postback_log_violations(snapshot) -> list[str]:
    up_to = snapshot.tracked("postback_log")
    missing = snapshot.rows(
        sql.SQL(
            "SELECT originator_id AS id FROM {} WHERE topic = %s AND notification_id <= %s "
            "EXCEPT SELECT id FROM postback_log"
        ).format(snapshot.events_table),
        (POSTBACK_TOPIC, up_to),
    )
    extra = snapshot.rows(
        sql.SQL(
            "SELECT id FROM postback_log EXCEPT SELECT originator_id FROM {} WHERE topic = %s"
        ).format(snapshot.events_table),
        (POSTBACK_TOPIC,),
    )
    return [f"postback {r['id']}: stored but missing from the postback log" for r in missing] + [
        f"postback {r['id']}: in the postback log but not in the event store" for r in extra
    ]

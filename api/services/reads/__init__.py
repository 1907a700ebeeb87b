"""Reads from the mirror's projections: plain indexed SELECTs, keyset pagination on indexed keys,
nothing folded from ``raw_events`` at request time. Provenance and audit trails list raw events
found through ``record_events`` (which event touched which record; filled by the indexer).
Every read is returned with the mirror's head block (``as_of``).

One module per resource; this package re-exports them so callers write ``reads.get_work``.
"""

from .common import (  # noqa: F401
    ILL_ACTION, ILL_STATUS, ILL_TERMINAL, ITEM_KIND, SERVICE, TERMS_KIND, as_of, cursor_ints, decode_cursor, encode_cursor, iso, trail_entry,
    tx_events,
)
from .ill import get_ill, ill_forwarded_to, ill_history, list_ill  # noqa: F401
from .licences import get_licence, get_loan, list_licences, list_loans  # noqa: F401
from .members import get_member, list_members, member_account, member_public  # noqa: F401
from .royalties import royalty_accruals, royalty_balance  # noqa: F401
from .settlement import get_period, list_periods  # noqa: F401
from .terms import get_terms, list_terms, offers_of_work  # noqa: F401
from .trails import trail  # noqa: F401
from .works import get_work, list_works, with_titles, work_provenance, works_by_ids  # noqa: F401

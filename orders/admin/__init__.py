"""The coordinators' back office.

The admin is one more entry point, so it obeys the same rules as the pages: every
list and inline goes through `cases_visible_to`, the case moves only through
`orders.services.case_transition` (never by calling the FSM method here), and the
fields a transition sets are read-only. Configuration (pathways, products,
suppliers) and parties' profiles are edited here directly.

One module per concern: `base` (read-only admins, visibility), `catalogue`
(pathways, products, suppliers), `parties` (physicians, patients), `cases` (the
import case, its transitions and timeline), `records` (what transitions write). The
papers of a case are added to its page by `documents.admin`.
"""

from orders.admin import base, cases, catalogue, parties, records  # noqa: F401 (registers)

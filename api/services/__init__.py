"""The service layer: plain functions with keyword-only arguments, used by the routers and the CLI.

Writes (``register_work``, ``acquire_licence``, ...) check the acting member's role on chain
first, send one transaction signed with the member's key, and return after the receipt and after
the mirror has reached its block (read-your-writes), or right after submission with ``wait=False``.
Reads come from the mirror and carry the block they reflect (``as_of_block``).
"""

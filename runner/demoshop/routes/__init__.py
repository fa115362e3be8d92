"""HTTP routes of the demo shop, one module per surface.

Storefront HTML, JSON API, POS, export and ops (health, metrics, fault admin). Routes translate
HTTP to calls of the domain modules and domain errors back to status codes; the rules
themselves live in the domain modules.
"""

from __future__ import annotations
